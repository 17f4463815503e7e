"""The in-process store's drivers: the store itself runs inline, from trio or from threads."""
