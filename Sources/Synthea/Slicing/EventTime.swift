/// Parses Synthea instants for ordering and pacing (not validation: staging does that).
public enum EventTime {
    /// Seconds since the epoch of `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)` or `YYYY-MM-DD`
    /// (midnight UTC); nil when the text is neither.
    public static func seconds(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count >= 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              let year = number(b, 0, 4), let month = number(b, 5, 2), let day = number(b, 8, 2),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        var seconds = CivilTime.days(year: year, month: month, day: day) * 86_400
        if b.count == 10 { return seconds }
        guard b.count >= 20, b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: " "),
              let hour = number(b, 11, 2), let minute = number(b, 14, 2), let second = number(b, 17, 2) else { return nil }
        seconds += hour * 3_600 + minute * 60 + second
        var i = 19
        if b[i] == UInt8(ascii: ".") {
            i += 1
            while i < b.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[i]) { i += 1 }
        }
        guard i < b.count else { return nil }
        if b[i] == UInt8(ascii: "Z") && i == b.count - 1 { return seconds }
        guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), b.count == i + 6,
              let oh = number(b, i + 1, 2), let om = number(b, i + 4, 2) else { return nil }
        let offset = oh * 3_600 + om * 60
        return b[i] == UInt8(ascii: "+") ? seconds - offset : seconds + offset
    }

    private static func number(_ b: [UInt8], _ start: Int, _ length: Int) -> Int64? {
        guard start + length <= b.count else { return nil }
        var value: Int64 = 0
        for i in start..<(start + length) {
            let c = b[i]
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(c - UInt8(ascii: "0"))
        }
        return value
    }
}
