import State

/// Which natural keys of one entity may have a stored current version: a Bloom filter, filled
/// from the state file when the maintainer opens it and with every key it accepts since. A key
/// it has never seen is new for sure, so the look-up of its stored version (an index search in
/// the current-version table) is skipped; most keys a consumer applies are new. A "maybe" is
/// looked up as before. Keys of a batch that rolled back stay in it: they only cost a look-up.
///
/// Each layer holds ten bits and five probes per key it is sized for (about 1 % false
/// "maybe"); a full layer is followed by one twice its size, so the filter grows with the
/// state without reading it again.
final class StoredKeyFilter {
    private var layers: [Layer]

    /// A filter for `capacity` keys to begin with.
    init(capacity: Int) {
        layers = [Layer(capacity: capacity)]
    }

    func insert(_ key: String) {
        var key = key
        key.withUTF8 { insert(UnsafeRawBufferPointer($0)) }
    }

    /// Inserts a key given as its UTF-8 bytes (as SQLite returns a column's text).
    func insert(_ bytes: UnsafeRawBufferPointer) {
        if layers[layers.count - 1].isFull { layers.append(Layer(capacity: layers[layers.count - 1].capacity * 2)) }
        layers[layers.count - 1].insert(Self.hashes(bytes))
    }

    /// False when `key` was never inserted.
    func mayContain(_ key: String) -> Bool {
        var key = key
        let hashes = key.withUTF8 { Self.hashes(UnsafeRawBufferPointer($0)) }
        return layers.contains { $0.mayContain(hashes) }
    }

    /// A filter of the natural keys in `table`, sized for twice as many (at least `minimumCapacity`).
    static func of(_ table: String, in database: SQLiteDatabase, minimumCapacity: Int = 1 << 16) throws -> StoredKeyFilter {
        let count = try database.prepare("SELECT count(*) FROM \(table)").firstValue()?.int ?? 0
        let filter = StoredKeyFilter(capacity: max(Int(count) * 2, minimumCapacity))
        let keys = try database.prepare("SELECT natural_key FROM \(table)")
        defer { keys.reset() }
        while try keys.step() { keys.withText(0) { filter.insert($0) } }
        return filter
    }

    /// Two hashes of the bytes up to the first NUL (SQLite binds text up to it: see
    /// ``SQLiteStatement``), for double hashing: two mixes of their FNV-1a hash.
    private static func hashes(_ bytes: UnsafeRawBufferPointer) -> (UInt64, UInt64) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            if byte == 0 { break }
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return (mix(hash), mix(hash ^ 0x5851_f42d_4c95_7f2d) | 1)
    }

    /// SplitMix64's finaliser: every bit of the input moves about half of the output's.
    private static func mix(_ value: UInt64) -> UInt64 {
        var mixed = value &+ 0x9e37_79b9_7f4a_7c15
        mixed = (mixed ^ (mixed >> 30)) &* 0xbf58_476d_1ce4_e5b9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94d0_49bb_1331_11eb
        return mixed ^ (mixed >> 31)
    }

    /// One bit array, probed at `h1 + i * h2` for i in 0..<5.
    private struct Layer {
        private var words: [UInt64]
        private let mask: UInt64
        /// Keys it was sized for...
        let capacity: Int
        /// ...and inserted so far (repeats included).
        private var inserted = 0
        private static let probes = 5

        init(capacity: Int) {
            self.capacity = capacity
            var bits = 1 << 10
            while bits < capacity * 10 { bits <<= 1 }
            words = [UInt64](repeating: 0, count: bits / 64)
            mask = UInt64(bits - 1)
        }

        var isFull: Bool { inserted >= capacity }

        mutating func insert(_ hashes: (UInt64, UInt64)) {
            inserted += 1
            var bit = hashes.0
            for _ in 0..<Self.probes {
                words[Int((bit & mask) >> 6)] |= 1 << (bit & 63)
                bit &+= hashes.1
            }
        }

        func mayContain(_ hashes: (UInt64, UInt64)) -> Bool {
            var bit = hashes.0
            for _ in 0..<Self.probes {
                if words[Int((bit & mask) >> 6)] & (1 << (bit & 63)) == 0 { return false }
                bit &+= hashes.1
            }
            return true
        }
    }
}
