/// Parsing of dates and instants, with one leniency for the whole product: RFC 3339 as written
/// (`T` or `t`, `Z`, `z` or a `±HH:MM` offset, any fraction of a second, which is dropped; a
/// leap second counts as :59), and dates that exist on the calendar. Nothing else is accepted:
/// no space for `T`, no missing zone, no 2023-02-30.
extension CivilTime {
    /// Days since 1970-01-01 of a `YYYY-MM-DD` that exists on the calendar.
    public static func parseDate(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              let y = digits(b, 0, 4), let m = digits(b, 5, 2), let d = digits(b, 8, 2) else { return nil }
        return existingDays(y, m, d)
    }

    /// Seconds since the epoch of an RFC 3339 date-time (see the type's leniency).
    public static func parseInstant(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count >= 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"), b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
              let y = digits(b, 0, 4), let mo = digits(b, 5, 2), let d = digits(b, 8, 2),
              let h = digits(b, 11, 2), let mi = digits(b, 14, 2), let s = digits(b, 17, 2),
              h < 24, mi < 60, s < 61, let days = existingDays(y, mo, d) else { return nil }
        var i = 19
        if b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, isDigit(b[i]) { i += 1 }
            guard i > start else { return nil }
        }
        guard i < b.count else { return nil }  // no zone
        let base = days * 86_400 + h * 3600 + mi * 60 + min(s, 59)
        if (b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z")) && i == b.count - 1 { return base }
        guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), b.count == i + 6, b[i + 3] == UInt8(ascii: ":"),
              let oh = digits(b, i + 1, 2), let om = digits(b, i + 4, 2), oh < 24, om < 60 else { return nil }
        let offset = oh * 3600 + om * 60
        return b[i] == UInt8(ascii: "+") ? base - offset : base + offset
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    private static func digits(_ b: [UInt8], _ start: Int, _ length: Int) -> Int64? {
        var v: Int64 = 0
        for i in start..<(start + length) {
            guard isDigit(b[i]) else { return nil }
            v = v * 10 + Int64(b[i] - UInt8(ascii: "0"))
        }
        return v
    }

    /// Days since the epoch, nil when the month or the day does not exist.
    private static func existingDays(_ y: Int64, _ m: Int64, _ d: Int64) -> Int64? {
        guard (1...12).contains(m), d >= 1 else { return nil }
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let lengths: [Int64] = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard d <= lengths[Int(m - 1)] else { return nil }
        return days(year: y, month: m, day: d)
    }
}
