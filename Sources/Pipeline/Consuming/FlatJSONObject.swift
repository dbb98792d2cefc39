import Kafka
import Staging
import Synthea

/// A one-pass parser for the message value the producers write: a flat JSON object whose values
/// are all strings (`{"Id":"…","START":"…"}`), validating UTF-8 as it goes. It answers nil for
/// anything else (another shape, a duplicate key, invalid UTF-8, a bad escape), and the caller
/// then asks Foundation's full parser, which names the exact problem: the fast path never
/// accepts what the full parser would refuse or read differently. The object is read as a row
/// of an entity (``RawRow``): a declared column's name is matched by its bytes, never made a
/// String nor hashed.
enum FlatJSONObject {
    static func parse(_ bytes: [UInt8], as entity: Entity) -> RawRow? {
        bytes.withUnsafeBufferPointer { buffer in
            var parser = Cursor(buffer: buffer)
            return parser.object(RawRow(entity))
        }
    }

    private struct Cursor {
        let buffer: UnsafeBufferPointer<UInt8>
        var index = 0

        mutating func object(_ empty: RawRow) -> RawRow? {
            skipSpace()
            guard next() == UInt8(ascii: "{") else { return nil }
            var row = empty
            skipSpace()
            if peek() == UInt8(ascii: "}") {
                index += 1
            } else {
                var place = 0
                while true {
                    guard next() == UInt8(ascii: "\"") else { return nil }
                    // A declared column's name: its bytes (no escape in it) equal the column's.
                    let (declared, name): (Int?, String?)
                    if let bytes = plainString() {
                        declared = row.declaredIndex(of: bytes, hint: place)
                        if declared == nil {
                            guard let text = UTF8Text.string(bytes) else { return nil }
                            name = text
                        } else {
                            name = nil
                        }
                    } else {
                        guard let text = string() else { return nil }
                        (declared, name) = (nil, text)
                    }
                    skipSpace()
                    guard next() == UInt8(ascii: ":") else { return nil }
                    skipSpace()
                    guard next() == UInt8(ascii: "\""), let value = string() else { return nil }
                    if let declared {
                        guard row.set(declaredAt: declared, value) else { return nil }
                    } else {
                        guard row.set(name!, value) else { return nil }
                    }
                    place += 1
                    skipSpace()
                    guard let separator = next() else { return nil }
                    if separator == UInt8(ascii: "}") { break }
                    guard separator == UInt8(ascii: ",") else { return nil }
                    skipSpace()
                }
            }
            skipSpace()
            return index == buffer.count ? row : nil
        }

        /// The bytes of a string without escapes after its opening quote, the cursor after its
        /// closing quote; nil (the cursor unmoved) when it has an escape, a control character
        /// or no end.
        mutating func plainString() -> UnsafeBufferPointer<UInt8>? {
            var end = index
            while end < buffer.count {
                let byte = buffer[end]
                if byte == UInt8(ascii: "\"") {
                    defer { index = end + 1 }
                    return UnsafeBufferPointer(rebasing: buffer[index..<end])
                }
                if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
                end += 1
            }
            return nil
        }

        /// The rest of a string after its opening quote.
        mutating func string() -> String? {
            // Fast path: no escape before the closing quote.
            if let plain = plainString() { return UTF8Text.string(plain) }
            // With escapes (a control character or no end is refused below): collect bytes,
            // then validate once.
            var out: [UInt8] = []
            while index < buffer.count {
                let byte = buffer[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return UTF8Text.string(out)
                case UInt8(ascii: "\\"):
                    guard index < buffer.count else { return nil }
                    let escape = buffer[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0c)
                    case UInt8(ascii: "n"): out.append(0x0a)
                    case UInt8(ascii: "r"): out.append(0x0d)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        guard let scalar = unicodeEscape() else { return nil }
                        out.append(contentsOf: String(Character(scalar)).utf8)
                    default: return nil
                    }
                default:
                    if byte < 0x20 { return nil }
                    out.append(byte)
                }
            }
            return nil
        }

        /// `XXXX` after `\u`, with a following `\uXXXX` low surrogate when it is a high one.
        mutating func unicodeEscape() -> Unicode.Scalar? {
            guard let high = hex4() else { return nil }
            if (0xD800...0xDBFF).contains(high) {
                guard index + 1 < buffer.count, buffer[index] == UInt8(ascii: "\\"), buffer[index + 1] == UInt8(ascii: "u") else { return nil }
                index += 2
                guard let low = hex4(), (0xDC00...0xDFFF).contains(low) else { return nil }
                return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
            }
            return Unicode.Scalar(high)  // nil for a lone low surrogate
        }

        mutating func hex4() -> UInt32? {
            guard index + 4 <= buffer.count else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = buffer[index]
                index += 1
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
                default: return nil
                }
                value = value << 4 | digit
            }
            return value
        }

        mutating func next() -> UInt8? {
            guard index < buffer.count else { return nil }
            defer { index += 1 }
            return buffer[index]
        }

        func peek() -> UInt8? { index < buffer.count ? buffer[index] : nil }

        mutating func skipSpace() {
            while index < buffer.count {
                let byte = buffer[index]
                guard byte == 0x20 || byte == 0x0a || byte == 0x0d || byte == 0x09 else { return }
                index += 1
            }
        }
    }
}
