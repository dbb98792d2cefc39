import State
import Synchronization

/// Dashboard reports already computed, given again while the state they came from has not
/// moved. A report reads its whole range (about 220 ms over all time at 6,000 patients), the
/// live dashboard asks for it every few seconds per viewer, and a state file changes only when
/// a batch commits, which advances a stored offset (a merge of task files is a new file each
/// time). Holds a few reports; the oldest go first.
public final class DashboardReportCache: Sendable {
    private struct Key: Hashable {
        var file: String
        var range: ReportRange
    }

    private struct Entry {
        var position: [SQLiteValue]
        var report: DashboardReport
    }

    /// Reports kept at most (one per file and range).
    public static let capacity = 16

    private let entries = Mutex<(byKey: [Key: Entry], order: [Key], computed: Int)>(([:], [], 0))

    public init() {}

    /// The report of `range` over `database` (inside the caller's read transaction): the one
    /// kept, when the state's stored offsets are where they were when it was computed.
    public func report(_ database: SQLiteDatabase, range: ReportRange) throws -> DashboardReport {
        let key = Key(file: database.path, range: range)
        let position = try database.prepare("SELECT count(*), total(next_offset), max(updated_at) FROM consumed_offsets").rows().first ?? []
        if let kept = entries.withLock({ $0.byKey[key] }), kept.position == position { return kept.report }
        let report = try DashboardReport.compute(database, range: range)
        entries.withLock { state in
            if state.byKey.updateValue(Entry(position: position, report: report), forKey: key) == nil { state.order.append(key) }
            while state.order.count > Self.capacity { state.byKey[state.order.removeFirst()] = nil }
            state.computed += 1
        }
        return report
    }

    /// Reports computed so far (the others were given from the cache).
    public var computed: Int { entries.withLock { $0.computed } }
}
