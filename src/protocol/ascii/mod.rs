//! The memcached ascii protocol (filled in by the protocol layer work).
