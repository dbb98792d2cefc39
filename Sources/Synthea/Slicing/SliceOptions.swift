/// The order a facility producer publishes its slice in.
public enum PublishOrder: String, Sendable, CaseIterable {
    /// By encounter START: organizations and providers first, a patient before the first
    /// record that refers to it, conditions and medications right after their encounter.
    case eventTime = "event-time"
    /// Entity by entity (organizations, providers, patients, encounters, conditions,
    /// medications), each in file order.
    case file
}

/// What to slice out of an export.
public struct SliceOptions: Sendable {
    /// The facilities (organization ids) to slice; nil for every organization in organizations.csv.
    public var facilities: Set<String>?
    public var order: PublishOrder
    /// Memory for each of the sorter's buffers before it spills to temporary files.
    public var memoryBudget: Int

    public init(facilities: Set<String>? = nil, order: PublishOrder = .eventTime, memoryBudget: Int = 16 << 20) {
        self.facilities = facilities
        self.order = order
        self.memoryBudget = memoryBudget
    }
}

/// One record of a facility's slice, ready to publish.
///
/// Its values stay encoded as the sorter returned them (valid UTF-8 bytes) until asked for:
/// publishing reads a few of them as text (keys) and copies the rest into JSON as bytes.
public struct SlicedRecord: Sendable {
    public var facility: String
    public var entity: Entity
    /// The instant the record happens at on the event timeline (its encounter's START, or the
    /// first encounter at this facility for a patient); nil for organizations and providers.
    public var eventTime: Int64?
    /// The header of the record's file.
    public let header: CSVHeader
    /// Physical line the row starts on in its file.
    public let line: Int
    /// The row as ``RowCodec`` encoded it, and where its values start.
    let encoded: [UInt8]
    let valuesStart: Int

    /// One value, by column name; nil for a column the file does not have.
    public subscript(column: String) -> String? {
        header.position(of: column).map { RowCodec.value(at: $0, in: encoded, valuesStart: valuesStart) }
    }

    /// The values of `columns` joined by `|` as UTF-8 bytes (a column the file does not have:
    /// an empty value), read in one pass without decoding them: equal to the `|`-joined
    /// ``subscript(column:)`` values.
    public func joinedValues(_ columns: [String]) -> [UInt8] {
        joinedValues(at: columns.map(header.position(of:)))
    }

    /// The same, by column positions in ``header`` found beforehand (nil: a column the file
    /// does not have): a producer finds them once per file instead of once per record.
    public func joinedValues(at positions: [Int?]) -> [UInt8] {
        RowCodec.joined(at: positions, encoded: encoded, valuesStart: valuesStart)
    }

    /// The whole row, decoded.
    public var row: CSVRow {
        CSVRow(header: header, values: RowCodec.values(in: encoded, valuesStart: valuesStart), line: line)
    }

    /// The row as a JSON object of strings under its header's names.
    public func jsonObject() -> [UInt8] {
        RowCodec.jsonObject(keys: header.jsonKeys, encoded: encoded, valuesStart: valuesStart)
    }
}

/// Counts from slicing, for the producer's summary.
public struct SliceSummary: Sendable {
    /// Records in all slices, per entity (a patient seen at k facilities counts k times).
    public var records: [Entity: Int] = [:]
    /// Facilities sliced.
    public var facilities: Int = 0
    /// Rows that belong to no selected facility's slice, per entity (e.g. a patient with no
    /// encounter, or a condition whose encounter is not in encounters.csv).
    public var outsideSlices: [Entity: Int] = [:]
    /// Facility ids asked for with --facility that organizations.csv does not have.
    public var unknownFacilities: [String] = []

    public var total: Int { records.values.reduce(0, +) }
}
