"""Files that people and platforms bring in, read within bounds: what a file is by its bytes,
parsing in a child process that can be killed, uploads kept and removed, spreadsheets, Word,
OpenDocument and PDF documents read as rows and lines."""
