//! The memcached binary protocol (filled in by the protocol layer work).
