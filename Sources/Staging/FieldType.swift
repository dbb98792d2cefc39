import Chronology
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
        case .date: return CivilTime.parseDate(text).map(StagedValue.date)
        case .timestamp: return CivilTime.parseInstant(text).map(StagedValue.timestamp)
        case .decimal: return canonicalDecimal(text).map(StagedValue.decimal)
        case .integer: return integer(text).map(StagedValue.integer)
        case .latitude: return decimal(text).flatMap { abs($0) <= 90 ? canonicalDecimal(text).map(StagedValue.decimal) : nil }
        case .longitude: return decimal(text).flatMap { abs($0) <= 180 ? canonicalDecimal(text).map(StagedValue.decimal) : nil }
        }
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
}
