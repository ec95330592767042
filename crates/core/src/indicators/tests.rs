//! Tests of the indicator engine, written from SPEC.md §3.
