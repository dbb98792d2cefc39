import Foundation

/// The type of a staged field (spec section 4).
public enum FieldType: Sendable, Hashable {
    case text
    /// `YYYY-MM-DD`, a real calendar day.
    case date
    /// RFC 3339 date-time with a zone, normalised to UTC.
    case timestamp
    /// Exact decimal, plain or in exponent form.
    case decimal
    /// Digits with an optional sign, no decimal point.
    case integer
    /// Decimal in [-90, 90].
    case latitude
    /// Decimal in [-180, 180].
    case longitude
}

/// A typed value after staging.
public enum StagedValue: Sendable, Hashable {
    case text(String)
    /// Days since 1970-01-01.
    case date(Int64)
    /// Seconds since the epoch, UTC.
    case timestamp(Int64)
    /// Exact, as canonical plain decimal text (`1500`, `0.25`, `-3.1`; see ``FieldParser/canonicalDecimal(_:)``).
    case decimal(String)
    case integer(Int64)
}

/// Parsers for each field type; nil when the text is not of the type.
public enum FieldParser {
    public static func parse(_ text: String, as type: FieldType) -> StagedValue? {
        switch type {
        case .text: return .text(text)
        case .date: return date(text).map(StagedValue.date)
        case .timestamp: return timestamp(text).map(StagedValue.timestamp)
        case .decimal: return canonicalDecimal(text).map(StagedValue.decimal)
        case .integer: return integer(text).map(StagedValue.integer)
        case .latitude: return decimal(text).flatMap { abs($0) <= 90 ? canonicalDecimal(text).map(StagedValue.decimal) : nil }
        case .longitude: return decimal(text).flatMap { abs($0) <= 180 ? canonicalDecimal(text).map(StagedValue.decimal) : nil }
        }
    }

    /// Days since the epoch of a `YYYY-MM-DD` that exists on the calendar.
    public static func date(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              let y = digits(b, 0, 4), let m = digits(b, 5, 2), let d = digits(b, 8, 2) else { return nil }
        return calendarDays(y, m, d)
    }

    /// Seconds since the epoch (UTC) of an RFC 3339 date-time with `Z` or an offset.
    public static func timestamp(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count >= 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"), b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
              let y = digits(b, 0, 4), let mo = digits(b, 5, 2), let d = digits(b, 8, 2),
              let h = digits(b, 11, 2), let mi = digits(b, 14, 2), let s = digits(b, 17, 2),
              h < 24, mi < 60, s < 61, let days = calendarDays(y, mo, d) else { return nil }
        var i = 19
        if b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") { i += 1 }
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

    /// The canonical text of an exact decimal (`-12.50` -> `-12.5`, `1.5e3` -> `1500`), nil
    /// when ``decimal(_:)`` is nil.
    public static func canonicalDecimal(_ text: String) -> String? {
        DecimalCanonicalizer.canonical(text)
    }

    /// An exact decimal: `-12.50`, `27461.280000000002`, `1.5e3`, `.5`.
    public static func decimal(_ text: String) -> Decimal? {
        let b = Array(text.utf8)
        var i = 0
        if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
        var mantissaDigits = 0
        while i < b.count, isDigit(b[i]) { i += 1; mantissaDigits += 1 }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            while i < b.count, isDigit(b[i]) { i += 1; mantissaDigits += 1 }
        }
        guard mantissaDigits > 0, mantissaDigits <= 38 else { return nil }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            let start = i
            while i < b.count, isDigit(b[i]) { i += 1 }
            guard i > start, i - start <= 3 else { return nil }
        }
        guard i == b.count else { return nil }
        return Decimal(string: text, locale: posix)
    }

    private static let posix = Locale(identifier: "en_US_POSIX")

    public static func integer(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        var i = 0
        if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
        guard i < b.count, b[i...].allSatisfy(isDigit) else { return nil }
        return Int64(text.hasPrefix("+") ? String(text.dropFirst()) : text)
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

    private static func calendarDays(_ y: Int64, _ m: Int64, _ d: Int64) -> Int64? {
        guard (1...12).contains(m), d >= 1 else { return nil }
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let lengths: [Int64] = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard d <= lengths[Int(m - 1)] else { return nil }
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1
        return era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
    }
}
