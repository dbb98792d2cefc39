/// What a CSV reader accepts beyond RFC 4180: the longest record (memory stays bounded even
/// for a line that never ends) and whether bytes that are not UTF-8 are an error (default) or
/// replaced by U+FFFD.
public struct CSVLimits: Sendable, Equatable {
    /// Real Synthea rows are a few hundred bytes to a few KiB.
    public static let defaultMaxRecordBytes = 1 << 20

    public var maxRecordBytes: Int
    public var replaceInvalidUTF8: Bool

    public init(maxRecordBytes: Int = CSVLimits.defaultMaxRecordBytes, replaceInvalidUTF8: Bool = false) {
        self.maxRecordBytes = maxRecordBytes
        self.replaceInvalidUTF8 = replaceInvalidUTF8
    }
}
