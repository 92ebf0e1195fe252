//! Packet captures (libpcap's `.pcap`, `.pcapng`): a VoIP call captured on
//! a SIP trunk or a softphone is RTP packets, each a few dozen bytes of
//! headers and 20 ms of coded audio. The headers between the payloads break
//! every statistic a headerless recording is found by, so the payloads of
//! each RTP stream are joined and judged. Whether the call was encrypted
//! (SRTP) is what a capture of it must say: SRTP keeps RTP's header in the
//! clear and makes the payload random.

use std::collections::HashMap;

use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapNGPacketBlock;
use pcap_parser::{Linktype, PcapBlockOwned};

use super::{chain, Level, Limit, Member, Walk};
use crate::sniff::{Class, Encryption, Randomness, Sniff};

/// Captured bytes read: three minutes or so of a G.711 call, both ways.
const MAX_CAPTURE: usize = 4 << 20;
/// Streams followed in one capture.
const MAX_STREAMS: usize = 64;
/// Streams of one packet so far, waiting for a second to be followed.
const MAX_CANDIDATES: usize = 4096;
/// Packets a stream needs, in sequence, to be one: a second of 20 ms
/// packets. Other UDP traffic whose first byte reads as RTP's version has
/// no sequence numbers running on from packet to packet.
const MIN_PACKETS: usize = 50;

/// Whether `head` opens a capture: libpcap's magic in either byte order
/// (microsecond or nanosecond timestamps) with version 2, or a pcapng
/// section header block.
pub(super) fn is_capture(head: &[u8]) -> bool {
    match head.get(..4) {
        Some([0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1]) => {
            head.get(4..6) == Some(&[2, 0])
        }
        Some([0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d]) => {
            head.get(4..6) == Some(&[0, 2])
        }
        Some([0x0a, 0x0d, 0x0d, 0x0a]) => {
            matches!(
                head.get(8..12),
                Some([0x4d, 0x3c, 0x2b, 0x1a] | [0x1a, 0x2b, 0x3c, 0x4d])
            )
        }
        _ => false,
    }
}

/// One RTP stream: its synchronisation source and payload type, and the
/// payloads of its packets in capture order.
#[derive(Debug, Default)]
pub(super) struct Stream {
    pub ssrc: u32,
    pub payload_type: u8,
    pub packets: usize,
    /// Packets whose sequence number followed the one before.
    in_sequence: usize,
    last_seq: Option<u16>,
    pub payload: Vec<u8>,
    /// Payload bytes not kept past the cap on a stream.
    pub dropped: u64,
}

impl Stream {
    /// Counts a packet of the stream and keeps its payload, up to `max`.
    fn take(&mut self, seq: u16, payload: &[u8], max: usize) {
        self.packets += 1;
        self.in_sequence += usize::from(self.last_seq == Some(seq.wrapping_sub(1)));
        self.last_seq = Some(seq);
        let room = max.saturating_sub(self.payload.len()).min(payload.len());
        self.payload.extend_from_slice(&payload[..room]);
        self.dropped += (payload.len() - room) as u64;
    }
}

/// The RTP header's fields a stream is told by, and the payload behind it
/// (contributing sources, the extension and padding stepped over).
fn rtp(packet: &[u8]) -> Option<(u32, u8, u16, &[u8])> {
    let (&first, &second) = (packet.first()?, packet.get(1)?);
    if first >> 6 != 2 {
        return None;
    }
    let payload_type = second & 0x7f;
    // RTCP shares the port pair's neighbour and the version bits; its
    // packet types 200–204 read as these payload types with the marker.
    if (72..=76).contains(&payload_type) {
        return None;
    }
    let seq = u16::from_be_bytes(packet.get(2..4)?.try_into().ok()?);
    let ssrc = u32::from_be_bytes(packet.get(8..12)?.try_into().ok()?);
    let mut at = 12 + 4 * usize::from(first & 0x0f);
    if first & 0x10 != 0 {
        let words = u16::from_be_bytes(packet.get(at + 2..at + 4)?.try_into().ok()?);
        at += 4 + 4 * usize::from(words);
    }
    let mut end = packet.len();
    if first & 0x20 != 0 {
        end = end.checked_sub(usize::from(*packet.last()?))?;
    }
    Some((ssrc, payload_type, seq, packet.get(at..end)?))
}

/// The UDP payload of a captured frame of link type `link`.
fn udp_payload(link: Linktype, frame: &[u8]) -> Option<&[u8]> {
    use etherparse::{SlicedPacket, TransportSlice};
    let sliced = match link {
        Linktype::ETHERNET => SlicedPacket::from_ethernet(frame),
        Linktype::RAW | Linktype::IPV4 | Linktype::IPV6 => SlicedPacket::from_ip(frame),
        Linktype::LINUX_SLL => SlicedPacket::from_linux_sll(frame),
        // BSD loopback's 4-byte address family; Linux cooked v2's 20 bytes.
        Linktype::NULL => SlicedPacket::from_ip(frame.get(4..)?),
        Linktype::LINUX_SLL2 => SlicedPacket::from_ip(frame.get(20..)?),
        _ => return None,
    }
    .ok()?;
    match sliced.transport? {
        TransportSlice::Udp(udp) => Some(udp.payload()),
        _ => None,
    }
}

/// The RTP streams of a capture's first bytes (up to a record they cut
/// short), each keeping at most `max_stream` bytes of payload, and how
/// many RTP packets belonged to streams past [`MAX_STREAMS`] (not
/// followed). A stream takes a place at its second packet: until then it
/// waits among at most [`MAX_CANDIDATES`] others, so decoys of a packet
/// each never crowd a call out, and calls that all go on keep theirs.
pub(super) fn streams(capture: &[u8], max_stream: usize) -> (Vec<Stream>, u64) {
    let mut streams: Vec<Stream> = Vec::new();
    let mut waiting: HashMap<(u32, u8), Stream> = HashMap::new();
    let mut untracked = 0u64;
    let mut add = |link: Linktype, frame: &[u8]| {
        let Some((ssrc, payload_type, seq, payload)) = udp_payload(link, frame).and_then(rtp)
        else {
            return;
        };
        let found = streams
            .iter()
            .position(|s| s.ssrc == ssrc && s.payload_type == payload_type);
        let i = match found {
            Some(i) => i,
            None => match waiting.remove(&(ssrc, payload_type)) {
                Some(first) if streams.len() < MAX_STREAMS => {
                    streams.push(first);
                    streams.len() - 1
                }
                Some(first) => {
                    untracked += first.packets as u64 + 1;
                    return;
                }
                None if waiting.len() < MAX_CANDIDATES => {
                    let mut first = Stream {
                        ssrc,
                        payload_type,
                        ..Stream::default()
                    };
                    first.take(seq, payload, max_stream);
                    waiting.insert((ssrc, payload_type), first);
                    return;
                }
                None => {
                    untracked += 1;
                    return;
                }
            },
        };
        streams[i].take(seq, payload, max_stream);
    };
    if capture.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
        let mut links: Vec<Linktype> = Vec::new();
        if let Ok(blocks) = pcap_parser::PcapNGSlice::from_slice(capture) {
            for block in blocks {
                match block {
                    Ok(PcapBlockOwned::NG(Block::SectionHeader(_))) => links.clear(),
                    Ok(PcapBlockOwned::NG(Block::InterfaceDescription(idb))) => {
                        links.push(idb.linktype)
                    }
                    Ok(PcapBlockOwned::NG(Block::EnhancedPacket(epb))) => {
                        if let Some(&link) = links.get(epb.if_id as usize) {
                            add(link, epb.packet_data());
                        }
                    }
                    Ok(PcapBlockOwned::NG(Block::SimplePacket(spb))) => {
                        if let Some(&link) = links.first() {
                            add(link, spb.packet_data());
                        }
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        }
    } else if let Ok(records) = pcap_parser::LegacyPcapSlice::from_slice(capture) {
        let link = records.header.network;
        for record in records {
            match record {
                Ok(PcapBlockOwned::Legacy(r)) => add(link, r.data),
                Ok(_) => {}
                Err(_) => break,
            }
        }
    }
    // DTMF events (4 bytes a packet) are key presses, not speech.
    streams.retain(|s| {
        s.packets >= MIN_PACKETS
            && s.in_sequence * 5 >= s.packets * 4
            && s.payload.len() as u64 + s.dropped >= 8 * s.packets as u64
    });
    (streams, untracked)
}

/// The codec a static RTP payload type names (RFC 3551), and whether
/// statistics tell its payload from ciphertext: G.711 and G.722 code
/// samples one by one and are far from random; the vocoders pack
/// parameters into bits that look random in a few packets.
fn codec(payload_type: u8) -> Option<(&'static str, bool)> {
    Some(match payload_type {
        0 => ("PCMU (G.711 µ-law)", true),
        8 => ("PCMA (G.711 A-law)", true),
        9 => ("G.722", true),
        10 | 11 => ("L16", true),
        3 => ("GSM 06.10", false),
        4 => ("G.723.1", false),
        15 => ("G.728", false),
        18 => ("G.729", false),
        _ => return None,
    })
}

impl Walk<'_> {
    /// The RTP streams of a packet capture, each judged as member
    /// `rtp-SSRC` (its payloads joined): audio in the clear is a finding,
    /// random payloads are SRTP. What cannot be told is a limit.
    pub(super) fn packet_capture(&mut self, level: &Level<'_, '_>, prefix: &str) {
        let want = MAX_CAPTURE.min(usize::try_from(level.size).unwrap_or(usize::MAX));
        let Some(capture) = level.from(0, want) else {
            return;
        };
        let max_stream = usize::try_from(self.limits.max_member_bytes).unwrap_or(usize::MAX);
        let (streams, untracked) = streams(&capture, max_stream);
        if untracked > 0 {
            self.limit(
                prefix,
                Limit::Members,
                format!(
                    "more than {MAX_STREAMS} RTP streams at once: {untracked} packets of the others not followed"
                ),
            );
        }
        // A call later in a long capture is not looked for: said, whatever
        // the first MiBs held.
        if (capture.len() as u64) < level.size {
            self.limit(
                prefix,
                Limit::ObjectBytes,
                format!(
                    "packet capture of {} bytes: RTP streams looked for in its first {} MiB",
                    level.size,
                    MAX_CAPTURE >> 20
                ),
            );
        }
        for stream in streams {
            let name = format!("rtp-{:08x}", stream.ssrc);
            self.spent += stream.payload.len() as u64;
            let random = Randomness::of(&[&stream.payload[..]]).is_random_like();
            let declared = codec(stream.payload_type);
            let sniff = match (declared, random) {
                (Some((codec, _)), false) => Some(
                    Sniff::new("rtp", None, Class::Audio, Encryption::None).with("codec", codec),
                ),
                (Some((codec, true)), true) => Some(
                    Sniff::new("srtp", None, Class::Encrypted, Encryption::Encrypted)
                        .with("codec", codec)
                        .with(
                            "basis",
                            "RTP headers in the clear, payloads indistinguishable from ciphertext",
                        ),
                ),
                (Some((_, false)), true) => None,
                // Comfort noise, video: no speech.
                (None, _) if stream.payload_type < 96 => continue,
                // A dynamic type's codec is declared in the call's SDP:
                // the payloads are asked what they are.
                (None, _) => {
                    let s = self.sniff_bytes(&stream.payload, stream.payload.len() as u64);
                    (s.class == Class::Audio).then_some(s)
                }
            };
            let Some(sniff) = sniff else {
                let what = match declared {
                    Some((codec, _)) => {
                        format!("{codec}, whose payloads look random coded or encrypted alike")
                    }
                    None => format!(
                        "dynamic payload type {}, its codec declared outside the capture",
                        stream.payload_type
                    ),
                };
                self.limit(
                    &chain(prefix, &name),
                    Limit::Unsupported,
                    format!(
                        "RTP stream of {} packets not judged ({what})",
                        stream.packets
                    ),
                );
                continue;
            };
            let sniff = sniff
                .with("payload_type", stream.payload_type)
                .with("packets", stream.packets)
                .with("ssrc", format!("{:08x}", stream.ssrc));
            let size = stream.payload.len() as u64 + stream.dropped;
            self.inside.members.push(Member {
                member: chain(prefix, &name),
                sniff,
                size,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Ethernet/IPv4/UDP frame carrying `payload`.
    fn frame(payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00];
        let total = (20 + 8 + payload.len()) as u16;
        f.extend([
            0x45, 0, 0, 0, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ]);
        f[16..18].copy_from_slice(&total.to_be_bytes());
        f.extend(40000u16.to_be_bytes());
        f.extend(40002u16.to_be_bytes());
        f.extend((8 + payload.len() as u16).to_be_bytes());
        f.extend([0, 0]);
        f.extend(payload);
        f
    }

    /// A libpcap file (Ethernet) of RTP packets of `payload_type`, 160
    /// bytes of `payload` each.
    pub(crate) fn pcap(payload_type: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
        v.extend([0; 8]);
        v.extend(65535u32.to_le_bytes());
        v.extend(1u32.to_le_bytes());
        for (i, chunk) in payload.chunks(160).enumerate() {
            let mut rtp = vec![0x80, payload_type];
            rtp.extend((1000 + i as u16).to_be_bytes());
            rtp.extend((160 * i as u32).to_be_bytes());
            rtp.extend(0x1234_5678u32.to_be_bytes());
            rtp.extend(chunk);
            let f = frame(&rtp);
            v.extend((i as u32 / 50).to_le_bytes());
            v.extend((i as u32 % 50 * 20_000).to_le_bytes());
            v.extend((f.len() as u32).to_le_bytes());
            v.extend((f.len() as u32).to_le_bytes());
            v.extend(f);
        }
        v
    }

    /// A capture of one packet per `(ssrc, seq)`, G.711 payloads.
    fn packets(of: impl Iterator<Item = (u32, u16)>) -> Vec<u8> {
        let mut v = pcap(0, &[])[..24].to_vec();
        for (ssrc, seq) in of {
            let mut rtp = vec![0x80, 0];
            rtp.extend(seq.to_be_bytes());
            rtp.extend((160 * u32::from(seq)).to_be_bytes());
            rtp.extend(ssrc.to_be_bytes());
            rtp.extend((0..160).map(|i| 0x40 + (i % 50) as u8));
            let f = frame(&rtp);
            v.extend([0; 8]);
            v.extend((f.len() as u32).to_le_bytes());
            v.extend((f.len() as u32).to_le_bytes());
            v.extend(f);
        }
        v
    }

    #[test]
    fn decoy_streams_of_a_packet_each_do_not_crowd_out_a_call() {
        let decoys = (0..200).map(|ssrc| (0x100 + ssrc, 7));
        let call = (0..60).map(|seq| (0x1234_5678, 1000 + seq));
        let (found, _) = streams(&packets(decoys.chain(call)), 1 << 20);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].ssrc, found[0].packets), (0x1234_5678, 60));
        // Streams that each go on hold their places: the packets of one
        // more are counted, for the limit.
        let busy = (0..=MAX_STREAMS as u32).flat_map(|ssrc| [(ssrc, 1), (ssrc, 2)]);
        assert_eq!(streams(&packets(busy), 1 << 20).1, 2);
        // Calls that all go on, one more than the table holds, packets in
        // turn: none takes another's place; the last is counted.
        let calls = (0..60u16).flat_map(|seq| (0..=MAX_STREAMS as u32).map(move |c| (c, seq)));
        let (found, untracked) = streams(&packets(calls), 1 << 20);
        assert_eq!((found.len(), untracked), (MAX_STREAMS, 60));
    }

    /// A call in the clear is a finding, one whose payloads are random is
    /// SRTP; a vocoder's or an undeclared codec's random payloads cannot
    /// be told from ciphertext (a limit); comfort noise is nothing.
    #[test]
    fn each_rtp_stream_is_judged_by_its_payloads() {
        use crate::unpack::tests::look;
        let clear: Vec<u8> = (0..160 * 100).map(|i| (i % 50) as u8 + 0x40).collect();
        let random = crate::sniff::testutil::pseudo_random(160 * 100, 9);
        let inside = look(&pcap(0, &clear));
        assert!(inside.limits.is_empty(), "{:?}", inside.limits);
        let m = &inside.members[..];
        assert_eq!(m.len(), 1);
        assert_eq!(
            (&*m[0].member, &*m[0].sniff.format),
            ("rtp-12345678", "rtp")
        );
        assert_eq!((m[0].sniff.class, m[0].size), (Class::Audio, 16_000));
        assert_eq!(m[0].sniff.evidence["codec"], "PCMU (G.711 µ-law)");
        let inside = look(&pcap(8, &random));
        assert_eq!(inside.members[0].sniff.format, "srtp");
        assert_eq!(inside.members[0].sniff.encryption, Encryption::Encrypted);
        for payload_type in [18, 96] {
            let inside = look(&pcap(payload_type, &random));
            assert!(inside.members.is_empty());
            assert_eq!(inside.limits[0].limit, Limit::Unsupported);
            assert_eq!(inside.limits[0].member.as_deref(), Some("rtp-12345678"));
        }
        let inside = look(&pcap(13, &clear));
        assert!(inside.members.is_empty() && inside.limits.is_empty());
    }

    /// A capture longer than what is read says so, with the call found in
    /// what was.
    #[test]
    fn a_long_capture_is_a_limit() {
        let clear: Vec<u8> = (0..MAX_CAPTURE).map(|i| (i % 50) as u8 + 0x40).collect();
        let inside = crate::unpack::tests::look(&pcap(0, &clear));
        assert_eq!(inside.members.len(), 1);
        assert_eq!(inside.limits.len(), 1);
        assert_eq!(inside.limits[0].limit, Limit::ObjectBytes);
        assert!(inside.limits[0].message.contains("in its first 4 MiB"));
    }

    #[test]
    fn captures_are_told_by_their_magic() {
        assert!(is_capture(&pcap(0, &[0; 160])));
        assert!(is_capture(
            b"\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x4d\x3c\x2b\x1a"
        ));
        assert!(!is_capture(b"\xd4\xc3\xb2\xa1\x01\x00"));
        assert!(!is_capture(
            b"\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x00\x00\x00\x00"
        ));
    }

    #[test]
    fn rtp_headers_are_stepped_over() {
        // Version 2, padding, extension, one contributing source.
        let mut p = vec![0xb1, 0x08, 0, 7, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef];
        p.extend([1, 2, 3, 4]);
        p.extend([0xbe, 0xde, 0, 1, 9, 9, 9, 9]);
        p.extend(b"payload");
        p.extend([0, 0, 3]);
        assert_eq!(rtp(&p), Some((0xdead_beef, 8, 7, &b"payload"[..])));
        // RTCP's receiver report, version 1, cut headers.
        assert_eq!(rtp(&[0x81, 0xc9, 0, 7, 0, 0, 0, 0, 1, 2, 3, 4]), None);
        assert_eq!(rtp(&[0x40, 0x08, 0, 7, 0, 0, 0, 0, 1, 2, 3, 4]), None);
        assert_eq!(rtp(&[0x80, 0x08, 0, 7]), None);
    }

    #[test]
    fn a_streams_packets_must_run_in_sequence() {
        let (streams, _) = streams(&pcap(8, &[0x55; 160 * 60]), 1 << 20);
        assert_eq!(streams.len(), 1);
        assert_eq!((streams[0].packets, streams[0].payload.len()), (60, 9600));
        // Too few packets to be a call.
        assert!(super::streams(&pcap(8, &[0x55; 160 * 40]), 1 << 20)
            .0
            .is_empty());
        // Cut inside a record.
        let v = pcap(8, &[0x55; 160 * 60]);
        let (streams, _) = super::streams(&v[..v.len() - 30], 1000);
        assert_eq!(streams.len(), 1);
        // Kept up to the cap, the rest counted.
        assert_eq!((streams[0].payload.len(), streams[0].dropped), (1000, 8440));
    }
}
