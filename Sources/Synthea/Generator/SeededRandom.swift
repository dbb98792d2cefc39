/// A small, fast, seedable generator (SplitMix64): the same seed gives the same sequence on
/// every machine, which is what makes generated exports reproducible byte for byte.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in the range.
    public mutating func int(_ range: ClosedRange<Int64>) -> Int64 {
        let width = UInt64(range.upperBound - range.lowerBound) &+ 1
        if width == 0 { return Int64(bitPattern: next()) }
        return range.lowerBound + Int64(next() % width)
    }

    public mutating func int(_ range: ClosedRange<Int>) -> Int { Int(int(Int64(range.lowerBound)...Int64(range.upperBound))) }

    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// A uniform number in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    public mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

    /// Picks by weight.
    public mutating func pick<T>(_ items: [(T, Int)]) -> T {
        let total = items.reduce(0) { $0 + $1.1 }
        var roll = int(0...(total - 1))
        for (item, weight) in items {
            if roll < weight { return item }
            roll -= weight
        }
        return items[items.count - 1].0
    }

    /// A version-4-shaped UUID string.
    public mutating func uuid() -> String {
        var a = next(), b = next()
        return String(unsafeUninitializedCapacity: 36) { out in
            let hex: StaticString = "0123456789abcdef"
            var count = 0
            for i in 0..<32 {
                let nibble: Int
                if i < 16 { nibble = Int(a & 15); a >>= 4 } else { nibble = Int(b & 15); b >>= 4 }
                if i == 8 || i == 12 || i == 16 || i == 20 {
                    out[count] = UInt8(ascii: "-")
                    count += 1
                }
                switch i {
                case 12: out[count] = UInt8(ascii: "4")
                case 16: out[count] = hex.utf8Start[8 + nibble % 4]
                default: out[count] = hex.utf8Start[nibble]
                }
                count += 1
            }
            return count
        }
    }
}
