//! The memcached meta protocol (filled in by the protocol layer work).
