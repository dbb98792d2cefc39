import Foundation
import Synchronization

/// Sorts one full buffer of an ``ExternalSorter`` and writes it to a run file on a thread of
/// its own, so that the thread filling the sorter goes on meanwhile: on two cores the slicing
/// reads the next rows while the last ones are sorted and written.
final class RunWriter: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let outcome = Mutex<Result<Void, any Error>?>(nil)

    /// Bytes handed to the file at a time (the run is never copied whole).
    static let chunk = 1 << 20

    init(url: URL, arena: [UInt8], entries: [ExternalSorter.Entry]) {
        let thread = Thread { [self] in
            let result = Result { try Self.write(arena, entries, to: url) }
            outcome.withLock { $0 = result }
            done.signal()
        }
        thread.name = "emr-sort-spill"
        thread.start()
    }

    /// Waits until the run is written; throws what stopped it. Call it once.
    func finish() throws {
        done.wait()
        try outcome.withLock { $0 }!.get()
    }

    private static func write(_ arena: [UInt8], _ unsorted: [ExternalSorter.Entry], to url: URL) throws {
        let entries = ExternalSorter.sorted(unsorted, in: arena)
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        let file = try FileHandle(forWritingTo: url)
        defer { try? file.close() }
        var out: [UInt8] = []
        out.reserveCapacity(chunk + (1 << 16))
        try arena.withUnsafeBufferPointer { bytes in
            for entry in entries {
                RunFileSource.append(UnsafeBufferPointer(rebasing: bytes[entry.offset..<(entry.offset + entry.keyLength)]), to: &out)
                let payload = entry.offset + entry.keyLength
                RunFileSource.append(UnsafeBufferPointer(rebasing: bytes[payload..<(payload + entry.payloadLength)]), to: &out)
                if out.count >= chunk {
                    try file.write(contentsOf: out)
                    out.removeAll(keepingCapacity: true)
                }
            }
        }
        if !out.isEmpty { try file.write(contentsOf: out) }
    }
}
