pub mod sniff;
