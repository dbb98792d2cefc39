import Foundation
import Kafka
import Marts
import Pipeline
import State
import Synthea
import TestSupport
import Testing

/// README, "Dead letters": published before the batch commits, at least once.
@Suite("Dead letters are published at least once")
struct DeadLetterDeliveryTests {
    @Test("a dead-letter topic that refuses writes keeps the batch uncommitted and retried; then every letter is there, nothing applied twice")
    func refusedDeadLettersRetryTheBatch() async throws {
        let (seed, context) = testSeed()
        var random = SeededRandom(seed: seed)
        let bed = try PipelineTestbed(label: "dead-letter-retry")
        defer { bed.removeWork() }
        let valid = try PipelineTestbed.timedRows(try bed.generatedExport(seed: seed))
        try bed.publishAll(valid, random: &random)
        let time = valid.last!.ceTimeMs + 1_000
        var positions: [(topic: String, partition: Int32, offset: Int64)] = []
        for index in 0..<3 {
            let report = try await bed.producer.send(OutgoingMessage(
                topic: bed.topics[.patients]!, partition: .explicit(Int32(random.int(0...Int(bed.partitions(of: .patients) - 1)))),
                key: Array("malformed-\(index)".utf8), value: Array(#"{"Id": "#.utf8),
                headers: PipelineTestbed.cloudEvent(.patients, ceTimeMs: time)))
            positions.append((report.topic, report.partition, report.offset))
        }
        // From now on the next produce requests fail with a permanent error (not authorized):
        // only the consumer's dead-letter producer writes.
        let refusals = 3
        bed.broker.pushRequestErrors(api: .produce, errors: Array(repeating: 29, count: refusals))

        let statePath = "\(bed.work)/consumed.sqlite"
        let result = try bed.consumeUntilCaughtUp(statePath, batchSize: 100_000) {
            $0.retryBackoffMs = 50
            $0.maxRetryBackoffMs = 200
        }
        #expect(result.retries >= 1, "\(context): the refused dead letters should have failed the batch at least once")
        #expect(result.totals.read == valid.count + positions.count, "\(context): \(result.totals.read) read")

        // Committed once: the counters and the quarantine count every record exactly once.
        let store = try StateStore(readingExisting: statePath, migrations: MartSchema.migrations)
        defer { store.database.close() }
        #expect(try store.counter(.recordsRead) == Int64(valid.count + positions.count), "\(context): a batch was committed more than once")
        let quarantined = try store.quarantined()
        #expect(quarantined.count == positions.count, "\(context): \(quarantined.count) quarantined")

        // Every refused record reached the dead-letter topic (at least once) despite the refusals.
        let letters = try DeadLetterCorpusTests().readAll(topic: bed.catalog.deadLetterTopic!.name, count: positions.count, bed: bed)
        for at in positions {
            #expect(letters.contains {
                $0.headers.string(named: DeadLetterHeader.topic) == at.topic
                    && $0.headers.string(named: DeadLetterHeader.partition) == String(at.partition)
                    && $0.headers.string(named: DeadLetterHeader.offset) == String(at.offset)
            }, "\(context): the record at \(at) is quarantined but not in the dead-letter topic")
        }

        let clean = try PipelineTestbed.cleanRun(valid, path: "\(bed.work)/clean.sqlite", context: context)
        defer { clean.database.close() }
        try PipelineTestbed.expectMartsEqual(store.database, clean.database, context: context)
    }
}
