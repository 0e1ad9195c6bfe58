"""Discover: every place a credential can come from (environment, shell start-up files, dotenv files,
SDK profiles) and which one each client would send (winners).

``discover.discover`` is the entry point; it reads each kind of source with its own module
(``environment``, ``dotenv_files``, ``shell_files`` over the ``shellrc`` package, ``profiles``,
``key_files``), keeps the distinct credentials (``aliases``) and asks ``winners`` who sends what.
"""
