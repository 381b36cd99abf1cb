//! Where the store keeps message bytes: append-only chunks of 4 MiB. A message's chunk follows
//! from its record number (records are appended in order, so each chunk holds a run of them),
//! which keeps the per-message record at 16 bytes.

const CHUNK: usize = 4 << 20;

/// Append-only byte chunks, indexed by message record number.
#[derive(Debug, Default)]
pub struct Arena {
    chunks: Vec<Vec<u8>>,
    /// The first message record number stored in each chunk.
    first_msg: Vec<u32>,
    bytes: u64,
}

impl Arena {
    /// Appends the bytes of message `msg` (numbers must not decrease) and returns their offset
    /// within its chunk. `parts` are stored back to back.
    pub fn append(&mut self, msg: u32, parts: &[&[u8]]) -> u32 {
        let need: usize = parts.iter().map(|p| p.len()).sum();
        let fits = self
            .chunks
            .last()
            .is_some_and(|c| c.capacity() - c.len() >= need);
        if !fits {
            self.chunks.push(Vec::with_capacity(CHUNK.max(need)));
            self.first_msg.push(msg);
        }
        let Some(chunk) = self.chunks.last_mut() else {
            return 0;
        };
        let off = chunk.len() as u32;
        for p in parts {
            chunk.extend_from_slice(p);
        }
        self.bytes += need as u64;
        off
    }

    /// `len` bytes at `off` in the chunk of message `msg` (empty if out of range).
    pub fn get(&self, msg: u32, off: usize, len: usize) -> &[u8] {
        let i = self.first_msg.partition_point(|&m| m <= msg);
        i.checked_sub(1)
            .and_then(|i| self.chunks.get(i))
            .and_then(|c| c.get(off..off.checked_add(len)?))
            .unwrap_or(&[])
    }

    /// Bytes held.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::Arena;

    #[test]
    fn messages_find_their_chunk() {
        let mut a = Arena::default();
        let big = vec![7u8; 5 << 20];
        let o0 = a.append(0, &[b"hello"]);
        let o1 = a.append(1, &[&big]);
        let o2 = a.append(2, &[b"wor", b"ld"]);
        assert_eq!(a.get(0, o0 as usize, 5), b"hello");
        assert_eq!(a.get(1, o1 as usize, 3), [7, 7, 7]);
        assert_eq!(a.get(2, o2 as usize, 5), b"world");
        assert_eq!(a.get(2, o2 as usize, 500), b"");
        assert_eq!(a.bytes(), 5 + (5 << 20) + 5);
    }
}
