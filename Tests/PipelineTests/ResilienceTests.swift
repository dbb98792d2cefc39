import Foundation
import Kafka
import Logging
import Marts
import Pipeline
import State
import Synchronization
import Synthea
import TestSupport
import Testing

/// The consumer service against an embedded broker that fails: brokers down mid-stream, and
/// stored offsets that retention has deleted.
@Suite("Consumer service: broker outages, offset gaps, a locked state file", .serialized)
struct ResilienceTests {
    /// What a consumer running on its own thread reports back.
    struct Observed: Sendable {
        var read = 0
        var rejected = 0
        var notReadyWhileRunning = false
        var readyAgain = false
        var failure: String?
        var finished = false
    }

    @Test("broker down for several seconds mid-stream and back: not ready meanwhile, then catches up without loss")
    func brokerOutageMidStream() async throws {
        let (seed, context) = testSeed()
        var random = SeededRandom(seed: seed)
        let bed = try PipelineTestbed(label: "outage")
        defer { bed.removeWork() }
        var records = try PipelineTestbed.timedRows(try bed.generatedExport(seed: seed))
        records.shuffle(using: &random)
        let half = records.count / 2
        func publish(_ slice: ArraySlice<PipelineTestbed.Record>) throws {
            for r in slice {
                try bed.publish(r.entity, r.row, ceTimeMs: r.ceTimeMs, random: &random)
            }
        }
        try publish(records[..<half])
        try bed.producer.flush(timeoutMs: 30_000)

        var options = ConsumeOptions(statePath: "\(bed.work)/state.sqlite")
        options.batchSize = random.int(20...300)
        options.readyFile = "\(bed.work)/ready"
        let observed = Mutex(Observed())
        let stop = Atomic(false)
        let (kafka, catalog, logger, fixed) = (bed.kafka, bed.catalog, bed.logger, options)
        let ended = DispatchSemaphore(value: 0)
        let consumerThread = Thread {
            defer { ended.signal() }
            do {
                let service = try ConsumerService(options: fixed, kafka: kafka, catalog: catalog, logger: logger)
                _ = try service.run(progress: { p in
                    observed.withLock {
                        $0.read = p.totals.read
                        $0.rejected = p.totals.rejected
                        if $0.read > 0 && !p.ready { $0.notReadyWhileRunning = true }
                        if $0.notReadyWhileRunning && p.ready { $0.readyAgain = true }
                    }
                }, shouldStop: { stop.load(ordering: .relaxed) })
            } catch {
                observed.withLock { $0.failure = "\(error)" }
            }
            observed.withLock { $0.finished = true }
        }
        consumerThread.start()
        // Joined before the bed (broker, work directory) goes, also when an expectation failed.
        defer {
            stop.store(true, ordering: .relaxed)
            if ended.wait(timeout: .now() + 60) == .timedOut { Issue.record("\(context): the consumer thread did not end within 60 s") }
        }

        // Checked once more at the deadline: under a full suite this task may not be scheduled
        // for many seconds (blocking tests hold the cooperative pool), and the consumer's own
        // thread is what is measured, not this task's turn.
        func waitFor(_ seconds: Double, _ condition: (Observed) -> Bool) async throws -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if observed.withLock({ condition($0) }) { return true }
                try await Task.sleep(for: .milliseconds(50))
            }
            return observed.withLock { condition($0) }
        }
        let launched = Date()
        #expect(try await waitFor(180) { $0.read > 0 }, "\(context): the consumer never started")
        print("outage test: first batch applied \(Date().timeIntervalSince(launched)) s after launch")
        #expect(try await waitFor(30) { _ in FileManager.default.fileExists(atPath: "\(bed.work)/ready") }, "\(context): never ready")

        try bed.broker.setBrokerDown(1)
        // The facilities keep producing into the outage: their messages wait in the client.
        try publish(records[half...])
        try await Task.sleep(for: .seconds(6))
        #expect(observed.withLock { $0.notReadyWhileRunning }, "\(context): readiness must drop while no broker is reachable")
        #expect(!FileManager.default.fileExists(atPath: "\(bed.work)/ready"), "\(context): the ready file must be gone during the outage")
        #expect(observed.withLock { $0.read } < records.count, "\(context): everything was read before the outage; nothing tested")
        try bed.broker.setBrokerUp(1)

        try bed.producer.flush(timeoutMs: 60_000)
        #expect(bed.producer.statistics.failed == 0, "\(context)")
        let caughtUp = try await waitFor(180) { $0.read >= records.count || $0.failure != nil }
        #expect(caughtUp, "\(context): read \(observed.withLock { $0.read }) of \(records.count) after the outage")
        #expect(try await waitFor(10) { $0.readyAgain }, "\(context): ready again after the outage")
        stop.store(true, ordering: .relaxed)
        let stopping = Date()
        #expect(try await waitFor(30) { $0.finished }, "\(context): the consumer did not stop")
        print("outage test: stopped \(Date().timeIntervalSince(stopping)) s after the request")
        let final = observed.withLock { $0 }
        #expect(final.failure == nil, "\(context): \(final.failure ?? "")")
        #expect(final.read == records.count && final.rejected == 0, "\(context): read \(final.read), rejected \(final.rejected)")

        let consumed = try StateStore(readingExisting: options.statePath, migrations: MartSchema.migrations)
        let clean = try PipelineTestbed.cleanRun(records, path: "\(bed.work)/clean.sqlite", context: context)
        try PipelineTestbed.expectMartsEqual(consumed.database, clean.database, context: context)
    }

    @Test("a stored offset older than the log start stops the consumer naming it; --accept-gap records the gap and goes on")
    func offsetsOutOfRange() throws {
        let (seed, context) = testSeed()
        var random = SeededRandom(seed: seed)
        let bed = try PipelineTestbed(label: "gap")
        defer { bed.removeWork() }
        let patient = try PipelineTestbed.rows(try bed.generatedExport(patients: 2, seed: seed)).first { $0.0 == .patients }!.1
        let tp = TopicPartition(bed.topics[.patients]!, 0)
        var time: Int64 = 1_750_000_000_000
        func publish(_ count: Int, padding: Int) throws {
            for _ in 0..<count {
                var row = patient
                row["Id"] = UUID().uuidString.lowercased()
                // Random text does not compress: the mock broker's per-partition log fills up.
                if padding > 0 { row["NOTES"] = (0..<padding / 16).map { _ in String(format: "%016llx", random.next()) }.joined() }
                time += 1
                try bed.producer.produce(try bed.message(.patients, row, ceTimeMs: time, partition: tp.partition))
            }
            try bed.producer.flush(timeoutMs: 30_000)
        }
        try publish(20, padding: 0)
        var options = ConsumeOptions(statePath: "\(bed.work)/state.sqlite")
        options.exitWhenCaughtUp = true
        options.quietPeriodMs = 300
        let first = try ConsumerService(options: options, kafka: bed.kafka, catalog: bed.catalog, logger: bed.logger).run()
        #expect(first.totals.read == 20)

        // Retention (the mock broker keeps about 5 MiB per partition) deletes records the state
        // file has not seen yet.
        let reader = try KafkaConsumer(configuration: ConsumerConfiguration(kafka: bed.kafka, groupID: "watermarks"), logger: bed.logger)
        defer { reader.close() }
        var marks = try reader.watermarks(tp)
        while marks.low <= 20 && marks.high < 2_000 {
            try publish(50, padding: 60_000)
            marks = try reader.watermarks(tp)
        }
        #expect(marks.low > 20, "\(context): the log start never moved (\(marks))")

        do {
            _ = try ConsumerService(options: options, kafka: bed.kafka, catalog: bed.catalog, logger: bed.logger).run()
            Issue.record("\(context): the consumer skipped deleted records silently")
        } catch let gap as OffsetGapError {
            #expect(gap.partition == tp && gap.storedOffset == 20 && gap.logStart == marks.low, "\(context): \(gap)")
            #expect("\(gap)".contains("\(tp.topic)/0") && "\(gap)".contains("next offset 20") && "\(gap)".contains("log start \(marks.low)")
                    && "\(gap)".contains("--accept-gap"), "\(gap)")
        }
        let untouched = try StateStore(readingExisting: options.statePath, migrations: MartSchema.migrations)
        #expect(try untouched.storedOffsets()[tp.topic]?[0] == 20, "\(context): a refused gap must not move the stored offset")
        #expect(try untouched.acceptedGaps().isEmpty)
        untouched.database.close()

        options.acceptGap = true
        let accepted = try ConsumerService(options: options, kafka: bed.kafka, catalog: bed.catalog, logger: bed.logger).run()
        #expect(accepted.totals.read == Int(marks.high - marks.low), "\(context): read \(accepted.totals.read) of \(marks)")
        let store = try StateStore(readingExisting: options.statePath, migrations: MartSchema.migrations)
        #expect(try store.acceptedGaps() == [AcceptedGap(topic: tp.topic, partition: 0, fromOffset: 20, toOffset: marks.low, logEnd: marks.high)])
        #expect(try store.storedOffsets()[tp.topic]?[0] == marks.high)
        #expect(try store.counter(.recordsRead) == 20 + marks.high - marks.low)
    }

    @Test("a locked state file: no offset advances while another writer holds it, the batch is retried and nothing is lost")
    func lockedStateFile() throws {
        let (seed, context) = testSeed()
        var random = SeededRandom(seed: seed)
        let bed = try PipelineTestbed(label: "locked")
        defer { bed.removeWork() }
        let records = try PipelineTestbed.timedRows(try bed.generatedExport(seed: seed))
        try bed.publishAll(records, random: &random)
        let path = "\(bed.work)/state.sqlite"
        try StateStore(path: path, migrations: MartSchema.migrations).database.close()

        // Another process-like writer holds an exclusive lock for 8 s.
        let locked = DispatchSemaphore(value: 0)
        let holder = Thread {
            guard let other = try? SQLiteDatabase(path: path), (try? other.execute("BEGIN EXCLUSIVE")) != nil else { locked.signal(); return }
            locked.signal()
            Thread.sleep(forTimeInterval: 8)
            try? other.execute("COMMIT")
            other.close()
        }
        holder.start()
        locked.wait()
        let started = Date()
        let result = try bed.consumeUntilCaughtUp(path, batchSize: random.int(50...500)) { $0.retryBackoffMs = 200 }
        #expect(Date().timeIntervalSince(started) > 7, "\(context): the consumer cannot have written while the lock was held")
        #expect(result.retries > 0, "\(context): the busy state file must have been retried")
        #expect(result.totals.read == records.count && result.totals.rejected == 0, "\(context): read \(result.totals.read) of \(records.count)")
        let store = try StateStore(readingExisting: path, migrations: MartSchema.migrations)
        #expect(try store.counter(.recordsRead) == Int64(records.count), "\(context)")
        let clean = try PipelineTestbed.cleanRun(records, path: "\(bed.work)/clean.sqlite", context: context)
        try PipelineTestbed.expectMartsEqual(store.database, clean.database, context: context)
    }
}
