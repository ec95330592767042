//! The demo organisation: a realistic porteur built from a seed, as interchange
//! lines (work in progress).
