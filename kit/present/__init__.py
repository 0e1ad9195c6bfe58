"""Present: the notebook session and panels, plots, the path view and the offline HTML report."""
