import Staging
import State
import Synthea

/// A staged record at its source position, reduced to its row of the current-version table
/// (typed values, derived fields, unknown fields as JSON, the position columns): everything
/// about applying it that needs no state, so that it can be prepared on another thread than
/// the one holding the state transaction (``MartMaintainer/apply(_:)``). It keeps only what is
/// written, not the staged fields.
public struct CurrentVersion: Sendable {
    public let entity: Entity
    public let naturalKey: String
    public let position: SourcePosition
    /// Values in the order of ``MartSchema/currentColumns(_:)``...
    let row: [SQLiteValue]
    /// ...packed to be bound as they are (``PackedValues``).
    let packedRow: PackedValues

    public init(_ record: StagedRecord, at position: SourcePosition) {
        entity = record.entity
        naturalKey = record.naturalKey
        self.position = position
        row = CurrentVersionStore.values(of: record, at: position)
        packedRow = PackedValues(row)
    }
}
