"""Discover: every place a credential can come from (environment, shell start-up files, dotenv files,
SDK profiles) and which one each client would send (winners)."""
