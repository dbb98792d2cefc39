import Foundation
import Kafka
import Marts
import Pipeline
import State
import Synthea
import TestSupport
import Testing

/// Issue 10 items 1 and 3: the state file's offsets must belong to the log being read (the same
/// cluster, offsets within the log), and producer-supplied times cannot pin a record. Each test
/// fails without its fix: before it, the consumer resumed beyond the log end silently, and a
/// far-future `ce_time` stayed current forever.
@Suite("Consumer service: replaced logs and implausible times", .serialized)
struct LogIdentityTests {

    @Test("item 1: a stored offset beyond the log end stops the consumer; --accept-gap records it and reads the log from its start")
    func offsetBeyondLogEnd() throws {
        let (seed, context) = testSeed()
        var random = SeededRandom(seed: seed)
        let bed = try PipelineTestbed(label: "beyond-end")
        defer { bed.removeWork() }
        let records = try PipelineTestbed.timedRows(try bed.generatedExport(seed: seed))
        try bed.publishAll(records, random: &random)
        let path = "\(bed.work)/state.sqlite"
        _ = try bed.consumeUntilCaughtUp(path, batchSize: random.int(50...500))

        // The state file now says more was read from one partition than its log holds: what a
        // state file sees after its topic was deleted and recreated, or its broker replaced.
        let topic = bed.topics[.encounters]!
        let partition = Int32(random.int(0...Int(bed.partitions(of: .encounters) - 1)))
        let tp = TopicPartition(topic, partition)
        let store = try StateStore(path: path, migrations: MartSchema.migrations)
        let end = try store.storedOffsets()[topic]?[partition] ?? 0
        let beyond = end + Int64(random.int(1...500))
        try store.inBatch { try $0.saveOffset(topic: topic, partition: partition, nextOffset: beyond) }
        store.database.close()
        let readBefore = try StateStore(readingExisting: path, migrations: MartSchema.migrations).counter(.recordsRead)

        do {
            _ = try bed.consumeUntilCaughtUp(path, batchSize: 100)
            Issue.record("\(context): resumed beyond the log end silently")
        } catch let gap as OffsetGapError {
            #expect(gap.partition == tp && gap.storedOffset == beyond && gap.logEnd == end && gap.logStart == 0, "\(context): \(gap)")
            #expect("\(gap)".contains("\(tp)") && "\(gap)".contains("beyond the log end \(end)") && "\(gap)".contains("--accept-gap"), "\(gap)")
        }
        let untouched = try StateStore(readingExisting: path, migrations: MartSchema.migrations)
        #expect(try untouched.storedOffsets()[topic]?[partition] == beyond, "\(context): a refused gap must not move the stored offset")
        #expect(try untouched.counter(.recordsRead) == readBefore)
        untouched.database.close()

        let accepted = try bed.consumeUntilCaughtUp(path, batchSize: 100) { $0.acceptGap = true }
        #expect(accepted.totals.read == Int(end), "\(context): the partition is read again from its start (\(accepted.totals.read) of \(end))")
        let after = try StateStore(readingExisting: path, migrations: MartSchema.migrations)
        #expect(try after.acceptedGaps() == [AcceptedGap(topic: topic, partition: partition, fromOffset: beyond, toOffset: 0, logEnd: end)])
        #expect(try after.storedOffsets()[topic]?[partition] == end)
        for comparison in try MartVerifier(database: after.database).verify() {
            #expect(comparison.matches, "\(context): \(comparison.mart)")
        }
    }

    @Test("item 1: the state file records its Kafka cluster and refuses another one unless told")
    func anotherCluster() throws {
        let (seed, context) = testSeed()
        var random = SeededRandom(seed: seed)
        let first = try PipelineTestbed(label: "cluster-a")
        defer { first.removeWork() }
        let records = try PipelineTestbed.timedRows(try first.generatedExport(seed: seed))
        try first.publishAll(records, random: &random)
        let path = "\(first.work)/state.sqlite"
        _ = try first.consumeUntilCaughtUp(path, batchSize: 500)
        let recorded = try StateStore(readingExisting: path, migrations: MartSchema.migrations).property("kafka_cluster_id")
        #expect(recorded?.isEmpty == false, "\(context): no cluster id recorded")

        // A new broker (new cluster) holding only a fifth of the records: before the check, the
        // consumer read nothing below the old offsets and reported success.
        let second = try PipelineTestbed(label: "cluster-b")
        defer { second.removeWork() }
        let fewer = Array(records.shuffled(using: &random).prefix(records.count / 5))
        try second.publishAll(fewer, random: &random)
        do {
            _ = try second.consumeUntilCaughtUp(path, batchSize: 500)
            Issue.record("\(context): consumed another cluster's log with this state file's offsets")
        } catch let changed as ClusterChangedError {
            #expect(changed.recordedClusterID == recorded && changed.clusterID != recorded, "\(context): \(changed)")
            #expect("\(changed)".contains("--accept-cluster-change") && "\(changed)".contains(path), "\(changed)")
        }
        #expect(try StateStore(readingExisting: path, migrations: MartSchema.migrations).property("kafka_cluster_id") == recorded)

        // Told that the cluster changed, the offsets are still checked against the new logs.
        do {
            _ = try second.consumeUntilCaughtUp(path, batchSize: 500) { $0.acceptClusterChange = true }
            Issue.record("\(context): offsets beyond the new logs' ends were trusted")
        } catch is OffsetGapError {}
        let both = try second.consumeUntilCaughtUp(path, batchSize: 500) { $0.acceptClusterChange = true; $0.acceptGap = true }
        #expect(both.totals.read > 0, "\(context)")
        let store = try StateStore(readingExisting: path, migrations: MartSchema.migrations)
        #expect(try store.property("kafka_cluster_id") != recorded)
        #expect(try !store.acceptedGaps().isEmpty)
    }

    @Test("item 3: ce_time and the Kafka timestamp may lie ahead by the clock-skew tolerance, no further", arguments: [
        // (ce_time offset from the Kafka timestamp, Kafka timestamp offset from now, accepted)
        (Int64?(0), Int64(0), true), (-86_400_000, 0, true), (299_000, 0, true), (301_000, 0, false),
        (nil, 0, true), (nil, 299_000, true), (nil, 301_000, false), (0, 400_000, false),
    ] as [(Int64?, Int64, Bool)])
    func clockSkew(ceAhead: Int64?, kafkaAhead: Int64, accepted: Bool) throws {
        let decoder = try RecordDecoder(catalog: TopicCatalog.load(directory: packageRoot.appendingPathComponent("topics").path))
        #expect(decoder.maxClockSkewMs == 300_000)
        let now: Int64 = 1_790_000_000_000
        let kafka = now + kafkaAhead
        var headers = PipelineTestbed.cloudEvent(.patients, ceTimeMs: kafka + (ceAhead ?? 0))
        if ceAhead == nil { headers.removeAll { $0.name == CloudEventHeader.time } }
        let value = Array(#"{"Id":"p1","BIRTHDATE":"1980-01-01"}"#.utf8)
        let message = ConsumedMessage(topic: decoder.topics.first { decoder.entities[$0] == .patients }!, partition: 0, offset: 0,
                                      key: Array("p1".utf8), value: value, headers: headers, timestampMs: kafka)
        switch decoder.decode(message, nowMs: now) {
        case .record(_, _, let position):
            #expect(accepted, "accepted ce_time +\(ceAhead.map(String.init) ?? "none") ms, Kafka timestamp +\(kafkaAhead) ms")
            #expect(position.ingestedMs == kafka + (ceAhead ?? 0))
        case .undecodable(let reasons):
            #expect(!accepted, "refused: \(reasons)")
            #expect(reasons.allSatisfy { $0.contains("300 s") }, "\(reasons)")
        }
    }
}
