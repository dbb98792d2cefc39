import Staging
import State

/// A staged record at its source position with its row of the current-version table already
/// computed (typed values, derived fields, unknown fields as JSON, the position columns):
/// everything about applying it that needs no state, so that it can be prepared on another
/// thread than the one holding the state transaction (``MartMaintainer/apply(_:)``).
public struct CurrentVersion: Sendable {
    public let record: StagedRecord
    public let position: SourcePosition
    /// Values in the order of ``MartSchema/currentColumns(_:)``.
    let row: [SQLiteValue]

    public init(_ record: StagedRecord, at position: SourcePosition) {
        self.record = record
        self.position = position
        row = CurrentVersionStore.values(of: record, at: position)
    }
}
