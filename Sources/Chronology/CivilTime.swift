/// Dates and instants in UTC on the proleptic Gregorian calendar: calendar arithmetic (Howard
/// Hinnant's algorithms, without Foundation's calendars: fast, and the same on every machine),
/// parsing (`CivilTimeParsing.swift`) and formatting. The one home of time for every stage.
public enum CivilTime {
    /// Days since 1970-01-01.
    public static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Year, month, day of days since 1970-01-01.
    public static func date(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// Whole days and the second within the day of seconds since the epoch.
    public static func split(seconds: Int64) -> (days: Int64, secondOfDay: Int64) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        return (days, seconds - days * 86_400)
    }

    /// `YYYY-MM-DD`
    public static func formatDate(days: Int64) -> String {
        let (y, m, d) = date(fromDays: days)
        guard (0...9999).contains(y) else { return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2) }
        return String(unsafeUninitializedCapacity: 10) { text in
            writeDate(y, m, d, into: text)
            return 10
        }
    }

    /// ``formatDate(days:)``'s text appended to `bytes` as UTF-8, without making a String.
    public static func appendDate(days: Int64, to bytes: inout [UInt8]) {
        let (y, m, d) = date(fromDays: days)
        guard (0...9999).contains(y) else { return bytes.append(contentsOf: formatDate(days: days).utf8) }
        append(10, to: &bytes) { writeDate(y, m, d, into: $0) }
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`
    public static func formatTimestamp(seconds: Int64) -> String {
        let (days, s) = split(seconds: seconds)
        let (y, m, d) = date(fromDays: days)
        guard (0...9999).contains(y) else {
            return formatDate(days: days) + "T" + pad(s / 3600, 2) + ":" + pad(s % 3600 / 60, 2) + ":" + pad(s % 60, 2) + "Z"
        }
        // Written digit by digit (this runs several times per consumed record): joining the
        // parts as Strings took about ten times as long.
        return String(unsafeUninitializedCapacity: 20) { text in
            writeTimestamp(y, m, d, secondOfDay: s, into: text)
            return 20
        }
    }

    /// ``formatTimestamp(seconds:)``'s text appended to `bytes` as UTF-8, without making a String.
    public static func appendTimestamp(seconds: Int64, to bytes: inout [UInt8]) {
        let (days, s) = split(seconds: seconds)
        let (y, m, d) = date(fromDays: days)
        guard (0...9999).contains(y) else { return bytes.append(contentsOf: formatTimestamp(seconds: seconds).utf8) }
        append(20, to: &bytes) { writeTimestamp(y, m, d, secondOfDay: s, into: $0) }
    }

    /// Appends `count` bytes to `bytes`, written by `write`.
    private static func append(_ count: Int, to bytes: inout [UInt8], _ write: (UnsafeMutableBufferPointer<UInt8>) -> Void) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: count))
        bytes.withUnsafeMutableBufferPointer { write(UnsafeMutableBufferPointer(rebasing: $0[start...])) }
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` of a year in 0...9999 at the start of `text`.
    private static func writeTimestamp(_ year: Int64, _ month: Int64, _ day: Int64, secondOfDay s: Int64,
                                       into text: UnsafeMutableBufferPointer<UInt8>) {
        writeDate(year, month, day, into: text)
        text[10] = UInt8(ascii: "T")
        writeDigits(s / 3600, 2, into: text, at: 11)
        text[13] = UInt8(ascii: ":")
        writeDigits(s % 3600 / 60, 2, into: text, at: 14)
        text[16] = UInt8(ascii: ":")
        writeDigits(s % 60, 2, into: text, at: 17)
        text[19] = UInt8(ascii: "Z")
    }

    /// `YYYY-MM-DD` of a year in 0...9999 at the start of `text`.
    private static func writeDate(_ year: Int64, _ month: Int64, _ day: Int64, into text: UnsafeMutableBufferPointer<UInt8>) {
        writeDigits(year, 4, into: text, at: 0)
        text[4] = UInt8(ascii: "-")
        writeDigits(month, 2, into: text, at: 5)
        text[7] = UInt8(ascii: "-")
        writeDigits(day, 2, into: text, at: 8)
    }

    /// The last `width` decimal digits of a non-negative `value`, with leading zeros.
    private static func writeDigits(_ value: Int64, _ width: Int, into text: UnsafeMutableBufferPointer<UInt8>, at start: Int) {
        var rest = value
        for index in stride(from: start + width - 1, through: start, by: -1) {
            text[index] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        }
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` of milliseconds since the epoch (RFC 3339, as `ce_time`).
    public static func formatTimestamp(milliseconds ms: Int64) -> String {
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        var text = formatTimestamp(seconds: seconds)
        text.removeLast()
        return text + "." + pad(ms - seconds * 1000, 3) + "Z"
    }

    /// `value` in decimal with leading zeros up to `width` digits.
    public static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
