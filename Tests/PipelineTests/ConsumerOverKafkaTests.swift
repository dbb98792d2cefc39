import Foundation
import Kafka
import Marts
import Pipeline
import State
import Synchronization
import Synthea
import TestSupport
import Testing

/// Records published over Kafka in a random order across partitions, with duplicates and newer
/// versions, consumed by the service: the marts verify and equal a direct clean application of
/// the final versions.
@Suite("Consumer service over Kafka: arrival order does not matter")
struct ConsumerOverKafkaTests {
    static let shared = SharedExports.path("dverma-L3c-16p")


    @Test("shuffled across partitions, duplicated, with newer versions: verify passes, marts equal a clean run",
          .enabled(if: FileManager.default.fileExists(atPath: shared), "../shared/synthea is absent: skipped"))
    func shuffledOverKafka() throws {
        let (seed, context) = testSeed()
        var random = SeededRandom(seed: seed)
        var published = try PipelineTestbed.timedRows(Self.shared)
        var time = published.last!.ceTimeMs
        let firstCount = published.count
        for i in 0..<firstCount where random.chance(0.1) {
            var newer = published[i]
            switch newer.entity {
            case .patients: newer.row["BIRTHDATE"] = random.pick(["1950-03-04", "2001-12-31", "1890-01-01"])
            case .encounters: newer.row["ENCOUNTERCLASS"] = random.pick(["emergency", "inpatient", "wellness"]); newer.row["TOTAL_CLAIM_COST"] = "12.5e1"
            case .medications: newer.row["TOTALCOST"] = "\(random.int(0...5_000)).25"
            case .conditions: newer.row["DESCRIPTION"] = "Severe anxiety (panic) (finding)"
            default: newer.row["NAME"] = "renamed"
            }
            time += 10
            newer.ceTimeMs = time
            published.append(newer)
        }
        published += published.filter { _ in random.chance(0.05) }  // duplicates with the same ce_time
        published.shuffle(using: &random)

        let bed = try PipelineTestbed(label: "kafka-diff")
        defer { bed.removeWork() }
        for p in published {
            try bed.publish(p.entity, p.row, ceTimeMs: p.ceTimeMs, random: &random)
        }
        try bed.producer.flush(timeoutMs: 30_000)

        let statePath = "\(bed.work)/consumed.sqlite"
        let result = try bed.consumeUntilCaughtUp(statePath, batchSize: random.int(20...900))
        #expect(result.totals.read == published.count, "\(context)")
        #expect(result.totals.rejected == 0, "\(context)")

        // A fresh state file in the same group reads everything again: the group's committed
        // offsets never decide where a state file starts.
        let reread = try bed.consumeUntilCaughtUp("\(bed.work)/again.sqlite", batchSize: random.int(20...900))
        #expect(reread.totals.read == published.count, "\(context): a new state file in the same group must start at the beginning")

        let consumed = try StateStore(readingExisting: statePath, migrations: MartSchema.migrations)
        let clean = try PipelineTestbed.cleanRun(published, path: "\(bed.work)/clean.sqlite", context: context)
        try PipelineTestbed.expectMartsEqual(consumed.database, clean.database, context: context)

        // Large batches read a small poll at a time (each transaction spans several polls):
        // the same marts.
        let pollSize = random.int(20...200)
        let pieces = try bed.consumeUntilCaughtUp("\(bed.work)/pieces.sqlite", batchSize: 1_000_000) { $0.pollSize = pollSize }
        #expect(pieces.totals.read == published.count, "\(context)")
        #expect(pieces.batches * pollSize < pieces.totals.read,
                "\(context): \(pieces.batches) batches for \(pieces.totals.read) records read \(pollSize) at a time: no batch spanned several polls")
        let piecewise = try StateStore(readingExisting: "\(bed.work)/pieces.sqlite", migrations: MartSchema.migrations)
        try PipelineTestbed.expectMartsEqual(piecewise.database, clean.database, context: "\(context), polls of \(pollSize)")
    }

    @Test("partitions revoked while a batch is read in several polls: the batch rolls back, is read again, and the marts equal a clean run")
    func revokedWhileReadingPieces() throws {
        let (seed, context) = testSeed()
        var random = SeededRandom(seed: seed)
        let bed = try PipelineTestbed(label: "kafka-revoke")
        defer { bed.removeWork() }
        let records = try PipelineTestbed.timedRows(try bed.generatedExport(patients: 12, seed: seed))
        try bed.publishAll(records, random: &random)

        // After the first piece of the first batch, a second member joins the group and stays
        // until the group's coordinator has started a rebalance (the applying thread is held
        // meanwhile; heartbeats go on in librdkafka), then leaves: the next poll of the batch
        // sees its partitions revoked.
        let kafka = bed.kafka
        let joined = JoinedOnce()
        var options = ConsumeOptions(statePath: "\(bed.work)/revoked.sqlite")
        options.groupID = "g-revoke-\(seed)"
        options.exitWhenCaughtUp = true
        options.quietPeriodMs = 500
        options.batchSize = 1_000_000
        options.pollSize = 20
        let group = options.groupID, topics = Array(bed.topics.values)
        options.afterPiece = { _ in
            guard joined.first() else { return }
            do {
                var configuration = ConsumerConfiguration(kafka: kafka, groupID: group)
                configuration.sessionTimeoutMs = 6_000
                let other = try KafkaConsumer(configuration: configuration, logger: bed.logger)
                try other.subscribe(topics: topics)
                let until = Date().addingTimeInterval(4)
                while Date() < until { _ = try other.poll(maxMessages: 10, timeoutMs: 100) }
                other.close()
            } catch {
                Issue.record("\(context): the second member could not join: \(error)")
            }
        }
        let progress = try ConsumerService(options: options, kafka: bed.kafka, catalog: bed.catalog, logger: bed.logger).run()
        #expect(joined.happened, "\(context): no batch was read in several polls")
        #expect(progress.rolledBack >= 1, "\(context): no batch was rolled back when the partitions moved")
        // The run may end caught up on the partitions it held last (the embedded broker gives
        // a departed member's partitions back only after a session timeout): the same state
        // file in a group of its own reads the rest.
        let rest = try bed.consumeUntilCaughtUp(options.statePath, batchSize: 1_000_000) { $0.groupID = "g-rest-\(seed)"; $0.pollSize = 20 }
        #expect(progress.totals.read + rest.totals.read == records.count,
                "\(context): \(progress.totals.read) + \(rest.totals.read) records read of \(records.count)")

        let consumed = try StateStore(readingExisting: options.statePath, migrations: MartSchema.migrations)
        let clean = try PipelineTestbed.cleanRun(records, path: "\(bed.work)/clean.sqlite", context: context)
        try PipelineTestbed.expectMartsEqual(consumed.database, clean.database, context: "\(context), rolled back \(progress.rolledBack)")
        #expect(try consumed.counter(.recordsRead) == Int64(records.count), "\(context): the state file counts every record once")
    }
}

/// Whether the second member has joined (set once, from the applying thread).
private final class JoinedOnce: Sendable {
    private let value = Atomic<Bool>(false)
    /// True for the first call only.
    func first() -> Bool { !value.exchange(true, ordering: .acquiringAndReleasing) }
    var happened: Bool { value.load(ordering: .acquiring) }
}
