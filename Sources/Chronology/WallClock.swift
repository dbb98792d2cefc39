import Foundation

/// The machine's clock as the product writes it: bookkeeping columns, manifests, snapshot names.
extension CivilTime {
    /// Now, to the second: `YYYY-MM-DDTHH:MM:SSZ`.
    public static var nowTimestamp: String { formatTimestamp(seconds: Int64(Date().timeIntervalSince1970.rounded(.down))) }

    /// `date` to the millisecond: `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    public static func formatTimestamp(_ date: Date) -> String {
        formatTimestamp(milliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded(.down)))
    }
}
