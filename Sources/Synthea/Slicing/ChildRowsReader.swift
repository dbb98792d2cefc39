import Foundation
import Synchronization

/// Reads conditions and medications into a sorter keyed by their encounter id (then file
/// order) on a thread of its own, so that on two cores they are read while the slicer reads the
/// encounters. The sorter is bounded by its memory budget like every other.
final class ChildRowsReader: Sendable {
    /// The sorter, filled by the reading thread, then taken by ``rows()``.
    private let sorter: Mutex<ExternalSorter?>
    /// The files' headers, or the error that ended the reading.
    private let outcome = Mutex<Result<[Entity: CSVHeader], any Error>?>(nil)
    private let finished = DispatchSemaphore(value: 0)

    init(export: SyntheaExport, memoryBudget: Int) {
        sorter = Mutex(ExternalSorter(memoryBudget: memoryBudget))
        let thread = Thread { [self] in
            defer { finished.signal() }
            do {
                let headers = try sorter.withLock { sorter throws -> [Entity: CSVHeader] in
                    var headers: [Entity: CSVHeader] = [:]
                    var sequence: UInt64 = 0
                    for entity in [Entity.conditions, .medications] {
                        let table = try export.open(entity)
                        headers[entity] = table.header
                        let encounterColumn = table.header.position(of: "ENCOUNTER")!
                        var fields = RawFields()
                        while let line = try table.next(into: &fields) {
                            sequence += 1
                            var key = SortKey()
                            key.add(bytes: fields.field(encounterColumn))
                            key.add(sequence)
                            let payload = RowCodec.encode(entity: entity, facility: 0, line: line, eventTime: nil, fields: fields)
                            try sorter?.add(key: key.bytes, payload: payload)
                        }
                    }
                    return headers
                }
                outcome.withLock { $0 = .success(headers) }
            } catch {
                outcome.withLock { $0 = .failure(error) }
            }
        }
        thread.name = "emr-slice-children"
        thread.start()
    }

    /// Waits for the reading to end; the sorted rows and the files' headers, or the error that
    /// ended the reading. Call it once.
    func rows() throws -> (sorter: ExternalSorter, headers: [Entity: CSVHeader]) {
        finished.wait()
        let headers = try outcome.withLock { $0 }!.get()
        let rows = sorter.withLock { sorter -> ExternalSorter? in
            defer { sorter = nil }
            return sorter
        }
        guard let rows else { preconditionFailure("ChildRowsReader.rows() called twice") }
        return (rows, headers)
    }
}
