/// Encodes a row (entity, facility, line, event time, values) as bytes for the sorter and back.
enum RowCodec {
    struct Decoded {
        var entity: Entity
        var facility: String
        var line: Int
        var eventTime: Int64?
        var values: [String]
    }

    static func encode(entity: Entity, facility: String, line: Int, eventTime: Int64?, values: [String]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(values.reduce(64) { $0 + $1.utf8.count + 4 })
        out.append(UInt8(Entity.allCases.firstIndex(of: entity)!))
        appendInt(Int64(line), to: &out)
        out.append(eventTime == nil ? 0 : 1)
        appendInt(eventTime ?? 0, to: &out)
        appendString(facility, to: &out)
        appendInt(Int64(values.count), to: &out)
        for value in values { appendString(value, to: &out) }
        return out
    }

    static func decode(_ bytes: [UInt8]) -> Decoded {
        var position = 0
        let entity = Entity.allCases[Int(bytes[0])]
        position = 1
        let line = Int(readInt(bytes, &position))
        let hasTime = bytes[position] == 1
        position += 1
        let time = readInt(bytes, &position)
        let facility = readString(bytes, &position)
        let count = Int(readInt(bytes, &position))
        var values: [String] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(readString(bytes, &position)) }
        return Decoded(entity: entity, facility: facility, line: line, eventTime: hasTime ? time : nil, values: values)
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

    private static func appendString(_ text: String, to out: inout [UInt8]) {
        appendInt(Int64(text.utf8.count), to: &out)
        out.append(contentsOf: text.utf8)
    }

    private static func readString(_ bytes: [UInt8], _ position: inout Int) -> String {
        let length = Int(readInt(bytes, &position))
        defer { position += length }
        return String(decoding: bytes[position..<(position + length)], as: UTF8.self)
    }
}
