/// Why the marts cannot be maintained as asked.
public enum MartError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The state file's marts were built with another readmission window; only a new state
    /// file can change it.
    case readmissionWindowChanged(path: String, stored: Int64, requested: Int64)
    /// A record was applied outside ``MartMaintainer/batch(_:)`` (a programming error).
    case outsideBatch

    public var description: String {
        switch self {
        case .readmissionWindowChanged(let path, let stored, let requested):
            "\(path): the marts were built with a readmission window of \(stored) days, not \(requested); use a new state file to change it"
        case .outsideBatch:
            "MartMaintainer.apply called outside of a batch"
        }
    }
}
