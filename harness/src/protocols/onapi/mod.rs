//! ONAPI: the ON-API 2.5 Activation Notice (PROTOCOLS.md §3).
