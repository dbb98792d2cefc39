import Foundation
import State
import Testing

/// The background checkpointer copies the log into the file when its policy says: enough pages
/// waiting, or long enough after the first commit not yet copied; not after every commit.
@Suite("Background checkpoints: when the log is copied into the file")
struct BackgroundCheckpointTests {
    private func tempPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("checkpoint-\(UUID().uuidString).sqlite").path
    }

    private func fileSize(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
    }

    /// A quarantined record of `bytes` bytes (a transaction of about bytes / 8 KiB pages).
    private func quarantine(_ store: StateStore, offset: Int64, bytes: Int) throws {
        try store.inBatch {
            try $0.quarantine(QuarantinedRecord(topic: "t", partition: 0, offset: offset, stage: .decode, reasons: ["test"],
                                                key: nil, value: [UInt8](repeating: UInt8(offset % 251), count: bytes), headers: []))
        }
    }

    /// Waits (up to 20 s) until `condition` holds.
    private func eventually(_ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return try condition()
    }

    @Test("small commits wait; once the pages waiting reach the policy's count the log is copied")
    func copiesAfterEnoughPages() throws {
        let path = tempPath()
        let store = try StateStore(path: path)
        try store.checkpointInBackground(policy: .init(pages: 100, delay: .seconds(3_600)))
        let before = try fileSize(path)
        for offset in 0..<3 { try quarantine(store, offset: Int64(offset), bytes: 1_000) }
        Thread.sleep(forTimeInterval: 0.3)  // time for a checkpoint that should not happen
        #expect(store.backgroundCheckpoints == 0)
        #expect(try fileSize(path) == before, "the file grew: the log was copied before 100 pages waited")
        try quarantine(store, offset: 3, bytes: 1_200_000)  // about 150 pages
        #expect(eventually { store.backgroundCheckpoints == 1 })
        #expect(try fileSize(path) > before + 1_000_000, "the file did not receive the copied pages")
        store.close()
    }

    @Test("a small commit is copied once the policy's delay has passed")
    func copiesAfterDelay() throws {
        let path = tempPath()
        let store = try StateStore(path: path)
        try store.checkpointInBackground(policy: .init(pages: 1_000_000, delay: .milliseconds(100)))
        let before = try fileSize(path)
        try quarantine(store, offset: 0, bytes: 100_000)
        #expect(eventually { store.backgroundCheckpoints == 1 })
        #expect(try fileSize(path) > before + 90_000)
        store.close()
    }

    @Test("every commit is copied with the every-commit policy")
    func everyCommit() throws {
        let store = try StateStore(path: tempPath())
        try store.checkpointInBackground(policy: .everyCommit)
        for offset in 0..<3 {
            try quarantine(store, offset: Int64(offset), bytes: 1_000)
            #expect(eventually { store.backgroundCheckpoints == offset + 1 })
        }
        store.close()
    }
}
