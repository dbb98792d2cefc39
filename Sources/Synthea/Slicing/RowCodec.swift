/// Encodes a row (entity, facility's number in ``FacilityCodes``, line, event time, values) as
/// bytes for the sorter and back.
/// Counts, lengths and the line are variable-length integers (7 bits a byte, low first): every
/// record of an export passes through the sorter's spill files, and fixed 8-byte lengths made
/// up a quarter of their bytes.
enum RowCodec {
    static func encode(entity: Entity, facility: Int, line: Int, eventTime: Int64?, values: [String]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(values.reduce(64) { $0 + $1.utf8.count + 4 })
        appendPlace(rank(entity), line: line, eventTime: eventTime, facility: facility, to: &out)
        appendVarint(UInt64(values.count), to: &out)
        for value in values { appendString(value, to: &out) }
        return out
    }

    /// The same encoding from a CSV record's bytes.
    static func encode(entity: Entity, facility: Int, line: Int, eventTime: Int64?, fields: RawFields) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(fields.bytes.count + 2 * fields.count + 64)
        appendPlace(rank(entity), line: line, eventTime: eventTime, facility: facility, to: &out)
        appendVarint(UInt64(fields.count), to: &out)
        for index in 0..<fields.count {
            let field = fields.field(index)
            appendVarint(UInt64(field.count), to: &out)
            out.append(contentsOf: field)
        }
        return out
    }

    private static func rank(_ entity: Entity) -> UInt8 { UInt8(entity.ordinal) }

    /// What precedes the values: the entity's rank, line, event time and facility.
    private static func appendPlace(_ rank: UInt8, line: Int, eventTime: Int64?, facility: Int, to out: inout [UInt8]) {
        out.append(rank)
        appendVarint(UInt64(line), to: &out)
        out.append(eventTime == nil ? 0 : 1)
        if let eventTime { appendInt(eventTime, to: &out) }
        appendVarint(UInt64(facility), to: &out)
    }

    /// Everything but the values, and where they start.
    struct Header {
        var entity: Entity
        var line: Int
        var eventTime: Int64?
        /// The facility's number (``FacilityCodes``).
        var facility: Int
        /// Offset of the value count.
        var valuesStart: Int
    }

    static func header(_ bytes: [UInt8]) -> Header {
        var position = 1
        let line = Int(readVarint(bytes, &position))
        let hasTime = bytes[position] == 1
        position += 1
        let time = hasTime ? readInt(bytes, &position) : nil
        let facility = Int(readVarint(bytes, &position))
        return Header(entity: Entity.allCases[Int(bytes[0])], line: line, eventTime: time, facility: facility, valuesStart: position)
    }

    /// The same row placed at another facility and time: its values are copied as bytes.
    static func placing(_ bytes: [UInt8], facility: Int, eventTime: Int64?) -> [UInt8] {
        let header = header(bytes)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 18)
        appendPlace(bytes[0], line: header.line, eventTime: eventTime, facility: facility, to: &out)
        out.append(contentsOf: bytes[header.valuesStart...])
        return out
    }

    /// The values of an encoded row (`valuesStart` from ``header(_:)``).
    static func values(in bytes: [UInt8], valuesStart: Int) -> [String] {
        var position = valuesStart
        let count = Int(readVarint(bytes, &position))
        var values: [String] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(readString(bytes, &position)) }
        return values
    }

    /// One value of an encoded row (skipping those before it).
    static func value(at index: Int, in bytes: [UInt8], valuesStart: Int) -> String {
        var position = valuesStart
        let count = Int(readVarint(bytes, &position))
        precondition(index < count, "value \(index) of a row of \(count)")
        for _ in 0..<index { position += Int(readVarint(bytes, &position)) }
        return readString(bytes, &position)
    }

    /// The values at `positions` (nil, or past the row's end: an empty value) joined by `|`, as
    /// UTF-8 bytes, read in one pass over the encoded row.
    static func joined(at positions: [Int?], encoded bytes: [UInt8], valuesStart: Int) -> [UInt8] {
        var position = valuesStart
        let count = Int(readVarint(bytes, &position))
        let last = positions.reduce(-1) { max($0, $1 ?? -1) }
        return withUnsafeTemporaryAllocation(of: (start: Int, length: Int).self, capacity: positions.count) { found in
            found.initialize(repeating: (0, 0))
            var total = positions.count
            var index = 0
            while index <= last && index < count {
                let length = Int(readVarint(bytes, &position))
                for (slot, wanted) in positions.enumerated() where wanted == index {
                    found[slot] = (position, length)
                    total += length
                }
                position += length
                index += 1
            }
            var out: [UInt8] = []
            out.reserveCapacity(total)
            for slot in 0..<positions.count {
                if slot > 0 { out.append(UInt8(ascii: "|")) }
                let (start, length) = found[slot]
                out.append(contentsOf: bytes[start..<(start + length)])
            }
            return out
        }
    }

    /// The values as a JSON object under `keys`, copied from their encoded bytes.
    static func jsonObject(keys: JSONText.ObjectKeys, encoded bytes: [UInt8], valuesStart: Int) -> [UInt8] {
        var position = valuesStart
        let count = Int(readVarint(bytes, &position))
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count - valuesStart + keys.byteCount + 2 * count + 2)
        bytes.withUnsafeBufferPointer { all in
            JSONText.appendObject(keys: keys, count: count, to: &out) { _, out in
                let length = Int(readVarint(bytes, &position))
                JSONText.appendString(bytes: UnsafeBufferPointer(rebasing: all[position..<(position + length)]), to: &out)
                position += length
            }
        }
        return out
    }

    private static func appendInt(_ value: Int64, to out: inout [UInt8]) {
        var v = UInt64(bitPattern: value)
        for _ in 0..<8 {
            out.append(UInt8(truncatingIfNeeded: v))
            v >>= 8
        }
    }

    private static func readInt(_ bytes: [UInt8], _ position: inout Int) -> Int64 {
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[position + i]) << UInt64(8 * i) }
        position += 8
        return Int64(bitPattern: v)
    }

    private static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    private static func readVarint(_ bytes: [UInt8], _ position: inout Int) -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = bytes[position]
            position += 1
            v |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return v }
            shift += 7
        }
    }

    private static func appendString(_ text: String, to out: inout [UInt8]) {
        appendVarint(UInt64(text.utf8.count), to: &out)
        out.append(contentsOf: text.utf8)
    }

    private static func readString(_ bytes: [UInt8], _ position: inout Int) -> String {
        let length = Int(readVarint(bytes, &position))
        defer { position += length }
        return String(decoding: bytes[position..<(position + length)], as: UTF8.self)
    }
}
