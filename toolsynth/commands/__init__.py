"""One module per subcommand; each parses its options and calls into the library."""
