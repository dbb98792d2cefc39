/// Writes JSON text for flat objects, keeping key order (a CSV header's, a mart's columns):
/// shared by the producer (raw rows) and the JSON Lines export.
public enum JSONText {
    /// The keys of an object, encoded once: `{"A":`, `,"B":`, ... (many objects share them).
    public struct ObjectKeys: Sendable, Equatable {
        /// Every key's prefix, one after another in one buffer: appending one is a copy of
        /// bytes, not a retain and release of an array per field.
        let bytes: [UInt8]
        /// Where each key's prefix ends in `bytes`.
        let ends: [Int]
        var byteCount: Int { bytes.count }

        public init(_ keys: [String]) {
            var bytes: [UInt8] = []
            var ends: [Int] = []
            for (i, key) in keys.enumerated() {
                bytes.append(i == 0 ? UInt8(ascii: "{") : UInt8(ascii: ","))
                JSONText.appendString(key, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                ends.append(bytes.count)
            }
            self.bytes = bytes
            self.ends = ends
        }
    }

    /// An object of `count` string values under `keys` (at most one per key); `value(i, &out)`
    /// appends the i-th value's literal.
    static func appendObject(keys: ObjectKeys, count: Int, to out: inout [UInt8], value: (Int, inout [UInt8]) -> Void) {
        guard count > 0 else { out.append(contentsOf: Array("{}".utf8)); return }
        keys.bytes.withUnsafeBufferPointer { prefixes in
            keys.ends.withUnsafeBufferPointer { ends in
                var start = 0
                for i in 0..<min(count, ends.count) {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: prefixes[start..<ends[i]]))
                    start = ends[i]
                    value(i, &out)
                }
            }
        }
        out.append(UInt8(ascii: "}"))
    }

    /// A JSON string literal from UTF-8 bytes.
    static func appendString(bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        if needsNoEscape(bytes) {
            out.append(contentsOf: bytes)
        } else {
            for byte in bytes { appendEscaped(byte, to: &out) }
        }
        out.append(UInt8(ascii: "\""))
    }

    public static func object(keys: [String], values: [String]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(values.reduce(keys.count * 8) { $0 + $1.utf8.count + 4 })
        for (i, key) in keys.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            appendString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            appendString(values[i], to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    private static func needsNoEscape(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in bytes where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return false }
        return true
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    public static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let utf8 = text.utf8
        // Most values need no escape: scan the bytes in place and copy them at once.
        let plain = utf8.withContiguousStorageIfAvailable(needsNoEscape)
            ?? !utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
        if plain {
            out.append(contentsOf: utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in utf8 { appendEscaped(byte, to: &out) }
        out.append(UInt8(ascii: "\""))
    }

    private static func appendEscaped(_ byte: UInt8, to out: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
        case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
        case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
        case UInt8(ascii: "\r"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
        case UInt8(ascii: "\t"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
        case 0..<0x20:
            let hex = Array("0123456789abcdef".utf8)
            out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 15)]])
        default: out.append(byte)
        }
    }
}
