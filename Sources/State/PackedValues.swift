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
        var builder = Builder(capacity: values.count, textBytes: values.reduce(0) { total, value in
            if case .text(let text) = value { total + text.utf8.count } else { total }
        })
        for value in values { builder.append(value) }
        self = builder.values
    }

    private init(slots: [Slot], bytes: [UInt8]) {
        self.slots = slots
        self.bytes = bytes
    }

    /// Packs values one at a time, each text written straight into the shared buffer (a row
    /// made this way is never an array of values, nor its dates and timestamps Strings).
    public struct Builder {
        private var slots: [Slot] = []
        private var bytes: [UInt8] = []

        public init(capacity: Int, textBytes: Int) {
            slots.reserveCapacity(capacity)
            bytes.reserveCapacity(textBytes)
        }

        /// The values packed so far.
        public var values: PackedValues { PackedValues(slots: slots, bytes: bytes) }

        public mutating func append(_ value: SQLiteValue) {
            switch value {
            case .null: slots.append(.null)
            case .integer(let v): slots.append(.integer(v))
            case .real(let v): slots.append(.real(v))
            case .blob(let v): slots.append(.blob(v))
            case .text(let text): appendText(text)
            }
        }

        public mutating func appendText(_ text: String) {
            appendText { PackedValues.append(text, to: &$0) }
        }

        /// A text that `write` appends to the buffer as UTF-8 (with no NUL in it).
        public mutating func appendText(writing write: (inout [UInt8]) -> Void) {
            let start = bytes.count
            write(&bytes)
            slots.append(.text(start: start, count: bytes.count - start))
        }
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
