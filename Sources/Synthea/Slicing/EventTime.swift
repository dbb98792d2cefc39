import Chronology

/// The event time of a Synthea row for ordering and pacing (not validation: staging does
/// that): an RFC 3339 instant as ``CivilTime/parseInstant(_:)`` reads it, or a bare
/// `YYYY-MM-DD` as its midnight UTC.
public enum EventTime {
    /// Seconds since the epoch; nil when the text is neither.
    public static func seconds(_ text: String) -> Int64? {
        CivilTime.parseInstant(text) ?? CivilTime.parseDate(text).map { $0 * 86_400 }
    }
}
