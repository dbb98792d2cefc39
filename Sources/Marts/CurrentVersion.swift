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
    /// ``KeyHash`` of the natural key, computed here (on the preparing thread) once for the
    /// look-up and the insert of its entity's current version.
    let keyHash: Int64
    public let position: SourcePosition
    /// Values in the order of ``MartSchema/currentColumns(_:)``, packed to be bound as they are
    /// (``PackedValues``).
    let packedRow: PackedValues
    /// An encounter's values of ``EncounterChains/columns`` (empty for the other entities).
    let chain: [SQLiteValue]

    public init(_ record: StagedRecord, at position: SourcePosition) {
        entity = record.entity
        naturalKey = record.naturalKey
        keyHash = KeyHash.of(record.naturalKey)
        self.position = position
        (packedRow, chain) = CurrentVersionStore.row(of: record, at: position)
    }
}
