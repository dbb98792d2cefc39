import Kafka
import Logging
@testable import Pipeline
import Testing

/// What counts as restoring (docs/scaling.md): from assignment until the log end seen then.
@Suite("Restore tracker")
struct RestoreTrackerTests {
    let p0 = TopicPartition("emr.raw.patients", 0), e0 = TopicPartition("emr.raw.encounters", 0)
    let p1 = TopicPartition("emr.raw.patients", 1)

    func tracker() -> RestoreTracker {
        RestoreTracker(taskOf: { "patients-\($0.partition)" }, logger: Logger(label: "test"))
    }

    @Test("a partition behind its log end at assignment restores until it reaches that end; records produced later are lag, not restore")
    func restoresToTheEndSeenAtAssignment() {
        var restore = tracker()
        var next: [TopicPartition: Int64] = [p0: 10]
        var high: [TopicPartition: Int64] = [p0: 100, e0: 50, p1: 7]
        restore.update(assignment: [p0, e0, p1], next: { next[$0] }, high: { high[$0] })
        // p1 was never consumed: its whole log (7) is to replay; e0 likewise (50); p0 from 10.
        #expect(restore.remaining == [p0: 90, e0: 50, p1: 7])
        #expect(restore.tasks == ["patients-0", "patients-1"])
        next[p0] = 100; next[e0] = 20; next[p1] = 7
        high[p0] = 500  // new records after the assignment: not part of the restore
        restore.update(assignment: [p0, e0, p1], next: { next[$0] }, high: { high[$0] })
        #expect(restore.remaining == [e0: 30])
        #expect(restore.tasks == ["patients-0"])
        next[e0] = 50
        restore.update(assignment: [p0, e0, p1], next: { next[$0] }, high: { high[$0] })
        #expect(restore.remaining.isEmpty && restore.tasks.isEmpty)
    }

    @Test("an unknown log end is asked again; a caught-up partition never restores; a revoked one is forgotten and judged anew when it comes back")
    func unknownEndsAndRevocations() {
        var restore = tracker()
        var high: [TopicPartition: Int64] = [p1: 5]
        let next: [TopicPartition: Int64] = [p1: 5]
        restore.update(assignment: [p0, p1], next: { next[$0] }, high: { high[$0] })
        #expect(restore.remaining.isEmpty, "p0's end unknown yet, p1 caught up")
        high[p0] = 40
        restore.update(assignment: [p0, p1], next: { next[$0] }, high: { high[$0] })
        #expect(restore.remaining == [p0: 40])
        restore.update(assignment: [p1], next: { next[$0] }, high: { high[$0] })
        #expect(restore.remaining.isEmpty, "revoked while restoring")
        high[p0] = 60
        restore.update(assignment: [p0, p1], next: { next[$0] }, high: { high[$0] })
        #expect(restore.remaining == [p0: 60], "back again: restoring to the end seen now")
    }
}
