/// Values to bind to a statement's `?1, ?2, ...`, their texts in one buffer, so that SQLite
/// reads them in place while the statement runs (``SQLiteStatement/run(binding:)``) instead of
/// copying each into memory of its own. Made where there is time for it (the consumer packs
/// a record's row on the thread that prepares the batch); bound with one pass over the slots.
public struct PackedValues: Sendable {
    enum Slot: Sendable {
        case null
        case integer(Int64)
        case real(Double)
        /// Bytes `start..<start + count` of ``bytes`` (up to a NUL, as any bound text).
        case text(start: Int, count: Int)
        case blob([UInt8])
    }

    let slots: [Slot]
    let bytes: [UInt8]

    public init(_ values: [SQLiteValue]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.reduce(0) { total, value in
            if case .text(let text) = value { total + text.utf8.count } else { total }
        })
        slots = values.map { value in
            switch value {
            case .null: return .null
            case .integer(let v): return .integer(v)
            case .real(let v): return .real(v)
            case .blob(let v): return .blob(v)
            case .text(let text):
                let start = bytes.count
                Self.append(text, to: &bytes)
                return .text(start: start, count: bytes.count - start)
            }
        }
        self.bytes = bytes
    }

    /// Appends the text's UTF-8 up to its first NUL: copied at once from a native string, a
    /// byte at a time from a bridged one.
    private static func append(_ text: String, to bytes: inout [UInt8]) {
        let copied: Void? = text.utf8.withContiguousStorageIfAvailable { utf8 in
            bytes.append(contentsOf: utf8[..<(utf8.firstIndex(of: 0) ?? utf8.endIndex)])
        }
        guard copied == nil else { return }
        for byte in text.utf8 {
            if byte == 0 { break }
            bytes.append(byte)
        }
    }

    /// How many values.
    public var count: Int { slots.count }
}
