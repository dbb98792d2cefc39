import Foundation
import Kafka
import Logging
import Marts
import State

/// The consumer loop: poll ▸ decode ▸ stage ▸ apply ▸ dead letters ▸ checkpoint (one SQLite
/// transaction per batch) ▸ commit to Kafka for lag visibility. Partitions start from the
/// offsets stored in the state file on every assignment, so a restart resumes exactly after the
/// last committed batch. A batch that cannot be written (storage fault, dead letters not
/// acknowledged) advances nothing: the partitions are rewound to the stored offsets and the
/// batch is tried again with backoff until the fault clears.
public final class ConsumerService {
    public let options: ConsumeOptions
    private let kafka: KafkaConfiguration
    private let catalog: TopicCatalog
    private let decoder: RecordDecoder
    let logger: Logger
    private let commitHold: CommitHoldInjector?

    public init(options: ConsumeOptions, kafka: KafkaConfiguration, catalog: TopicCatalog, logger: Logger) throws {
        self.options = options
        self.kafka = kafka
        self.catalog = catalog
        self.decoder = try RecordDecoder(catalog: catalog, maxValueBytes: options.maxValueBytes, maxClockSkewMs: options.maxClockSkewMs)
        self.logger = logger
        commitHold = options.commitHold.map { CommitHoldInjector($0) { [logger] line in logger.warning("\(line)") } }
    }

    /// Runs until `shouldStop` returns true (checked between batches and while waiting) or,
    /// with `exitWhenCaughtUp`, until caught up. Returns the totals of this run.
    /// `progress` is called on every turn of the loop (at least every `maxBatchLatencyMs`), and
    /// `batchApplied` after each batch is committed with its outcome and duration in seconds.
    public func run(progress: (ConsumeProgress) -> Void = { _ in }, batchApplied: (BatchOutcome, Double) -> Void = { _, _ in },
                    shouldStop: () -> Bool = { false }) throws -> ConsumeProgress {
        let started = ContinuousClock.now
        var state = ConsumeProgress(totals: BatchOutcome(), batches: 0, elapsedSeconds: 0, assigned: 0)
        let readiness = Readiness(file: options.readyFile, logger: logger)
        defer { readiness.update(notReadyBecause: "stopped") }

        // Faults present at start that no retry can fix (a missing or read-only directory, a
        // directory, a read-only file, another writer) fail at once.
        if options.stateDirectory {
            try StateLocation.prepareDirectory(options.statePath)
        } else {
            try StateLocation.checkWritable(options.statePath)
            try StateStore.checkOwnable(options.statePath)
        }
        // One consumer per state file, or per state directory (its lock is DIR/consumer.lock).
        let lock = try StateFileLock(statePath: options.stateDirectory ? (options.statePath as NSString).appendingPathComponent("consumer") : options.statePath)
        defer { lock.release() }
        let book = OffsetBook()
        let deadLetters = try options.publishDeadLetters ? makeDeadLetterPublisher() : nil
        defer { deadLetters?.close() }
        var session = try openSessionWaiting(book: book, deadLetters: deadLetters, readiness: readiness, state: &state, shouldStop: shouldStop)
        defer { session?.close() }
        guard session != nil else { return state }  // stopped while waiting

        let consumer = try makeConsumer(book: book)
        defer { consumer.close() }
        try consumer.subscribe(topics: decoder.topics)
        logger.info("consuming \(decoder.topics.joined(separator: ", ")) into \(options.statePath) as group \(options.groupID)")

        var clocks = LoopClocks(started: started, quietPeriodMs: options.quietPeriodMs)
        var restore = options.stateDirectory ? RestoreTracker(taskOf: taskName, logger: logger) : nil
        var reported = (ready: state.ready, reason: state.notReadyReason)
        var retry = BatchRetry(initialMs: options.retryBackoffMs, maxMs: options.maxRetryBackoffMs)
        let sourceCheck = SourceCheck(acceptClusterChange: options.acceptClusterChange, coPartitioned: decoder.patientScopedTopics, logger: logger)
        /// The cluster and every assigned partition are checked against the state file.
        func sourceVerified() throws -> Bool {
            guard let open = session else { return false }
            do {
                return try sourceCheck.verify(consumer, open, book) { gaps in try handleGaps(gaps, consumer: consumer, session: open, book: book) }
            } catch where Self.isRetryable(error) {
                logger.error("cannot check the Kafka log against the state file yet: \(error)")
                return false
            }
        }
        while !shouldStop() {
            guard let batch = try poll(consumer, session: session, book: book) else { continue }
            try refreshStatus(&state, clocks: &clocks, restore: &restore, consumer: consumer, book: book,
                              clusterChecked: sourceCheck.clusterChecked, readiness: readiness, failing: retry.failing)
            // Readiness is reported at once when it changes (a batch about to be applied may
            // take seconds, e.g. the first of a restore).
            if state.ready != reported.ready || state.notReadyReason != reported.reason {
                reported = (state.ready, state.notReadyReason)
                progress(state)
            }
            if batch.isEmpty {
                // Checked also while nothing arrives: a log that was replaced sends nothing
                // until it grows past the stored offset.
                let verified = try sourceVerified()
                if options.exitWhenCaughtUp, verified, clocks.isQuiet, try caughtUp(consumer, book) { break }
                progress(state)
                continue
            }
            clocks.noteArrival()
            let applyStarted = ContinuousClock.now
            let outcome: BatchOutcome
            var extent = BatchExtent(batch)
            do {
                if session == nil { session = try openSession(book: book, deadLetters: deadLetters) }
                guard try sourceVerified() else {
                    // Read again once the log is checked.
                    try rewind(consumer, book)
                    continue
                }
                outcome = try apply(batch, in: session!, consumer: consumer, state: &state, extent: &extent)
            } catch is PartitionsMoved {
                // Nothing was committed: read again from the state file's offsets.
                state.rolledBack += 1
                logger.notice("partitions were revoked while a batch was being read: it was rolled back and is read again")
                try rewind(consumer, book)
                continue
            } catch where Self.isRetryable(error) {
                retry.failed(error)
                state.retries += 1
                readiness.update(notReadyBecause: "state not written: \(error)")
                state.ready = false
                state.notReadyReason = readiness.reason
                progress(state)
                logger.error("batch of \(extent.count) messages from \(extent) not applied: \(error). No offset advanced; retrying in \(retry.describeNext)")
                session?.close()
                session = nil
                try rewind(consumer, book)
                if retry.pause(shouldStop) { break }
                continue
            }
            if let attempts = retry.succeeded() { logger.notice("batch applied again after \(attempts) failed attempt(s); resumed") }
            let applied = (ContinuousClock.now - applyStarted) / .seconds(1)
            state.applySeconds += applied
            state.totals += outcome
            batchApplied(outcome, applied)
            state.batches += 1
            state.activeSeconds = clocks.activeSeconds
            commitToKafka(outcome, consumer, batchCount: batch.count, applyStarted: applyStarted)
            progress(state)
        }
        state.elapsedSeconds = clocks.elapsedSeconds
        return state
    }

    // MARK: - Steps of the loop

    /// Opens the state file, refusing newer, foreign or corrupt files at once and waiting (with
    /// backoff) while another connection holds SQLite's lock; nil when stopped meanwhile.
    private func openSessionWaiting(book: OffsetBook, deadLetters: DeadLetterPublisher?, readiness: Readiness,
                                    state: inout ConsumeProgress, shouldStop: () -> Bool) throws -> StateSession? {
        var backoff = Backoff(initialMs: options.retryBackoffMs, maxMs: options.maxRetryBackoffMs)
        while true {
            do {
                return try openSession(book: book, deadLetters: deadLetters)
            } catch let error as StateError where error.isBusy {
                readiness.update(notReadyBecause: "state file: \(error)")
                state.retries += 1
                logger.error("cannot open the state file: \(error); retrying in \(backoff.describeNext)")
                if backoff.sleep(shouldStop) { return nil }
            }
        }
    }

    /// Every turn: heartbeat, partition positions (about every second), tasks restoring, the
    /// connect timeout, broker probes while none is reachable, and readiness.
    private func refreshStatus(_ state: inout ConsumeProgress, clocks: inout LoopClocks, restore: inout RestoreTracker?, consumer: KafkaConsumer,
                               book: OffsetBook, clusterChecked: Bool, readiness: Readiness, failing: Error?) throws {
        state.heartbeat = .now
        // About every second, and at once when the assignment changed.
        if clocks.positionsDue() || consumer.assignment.count != state.partitions.count { state.partitions = positions(consumer, book) }
        if restore != nil {
            let assignment = consumer.assignment
            restore!.update(assignment: Set(assignment), next: book.next) { tp in
                consumer.cachedWatermarks(tp)?.high ?? (try? consumer.watermarks(tp, timeoutMs: 2_000))?.high
            }
            state.restoring = restore!.remaining
            state.tasks = Set(assignment.map(taskName)).sorted()
        }
        if options.exitWhenCaughtUp, !clusterChecked, ContinuousClock.now - clocks.started > .milliseconds(options.connectTimeoutMs) {
            throw PipelineError.noBrokerAnswered(seconds: options.connectTimeoutMs / 1000, bootstrapServers: kafka.bootstrapServers)
        }
        state.elapsedSeconds = clocks.elapsedSeconds
        state.assigned = consumer.assignment.count
        if consumer.brokersUnreachable, clocks.probeDue() {
            if consumer.probeBrokers() { logger.info("brokers reachable again") }
        }
        readiness.update(notReadyBecause: consumer.brokersUnreachable ? "no broker reachable (librdkafka reconnects with backoff)"
                             : failing.map { "state not written: \($0)" }
                             ?? (state.assigned == 0 ? "no partitions assigned" : nil)
                             ?? restore.flatMap { $0.remaining.isEmpty ? nil : "restoring tasks \($0.tasks.joined(separator: ", "))" })
        state.ready = readiness.isReady
        state.notReadyReason = readiness.reason
    }

    /// One batch in one transaction: `batch`, then (with one state file) what is already queued,
    /// a poll at a time, up to the batch size; its timings and each record's latency to this commit.
    private func apply(_ batch: [ConsumedMessage], in session: StateSession, consumer: KafkaConsumer, state: inout ConsumeProgress,
                       extent: inout BatchExtent) throws -> BatchOutcome {
        var sentMs = batch.compactMap(\.timestampMs)
        var pieces = 1
        let (outcome, timings) = try session.apply(batch) {
            guard extent.count < options.batchSize else { return nil }
            options.afterPiece?(pieces)
            guard let piece = try consumer.pollQueued(maxMessages: min(options.pollSize, options.batchSize - extent.count)) else { throw PartitionsMoved() }
            guard !piece.isEmpty else { return nil }
            pieces += 1
            extent.add(piece)
            sentMs += piece.compactMap(\.timestampMs)
            return piece
        }
        state.timings += timings
        let committedMs = Int64(Date().timeIntervalSince1970 * 1000)
        for sent in sentMs where sent > 0 { state.latency.record(committedMs - sent) }
        return outcome
    }

    /// Partitions were revoked while a batch was being read in several polls.
    private struct PartitionsMoved: Error {}

    /// The batch's offsets to Kafka, in the background: the state file holds the truth, and a
    /// synchronous commit would stall the loop (and readiness) for a session timeout in a
    /// broker outage. Only lag reporting depends on it.
    private func commitToKafka(_ outcome: BatchOutcome, _ consumer: KafkaConsumer, batchCount: Int, applyStarted: ContinuousClock.Instant) {
        let commitStarted = ContinuousClock.now
        defer { logger.debug("batch of \(batchCount): apply \(applyStarted.duration(to: commitStarted)), commit \(commitStarted.duration(to: .now))") }
        do {
            try consumer.commit(outcome.offsets, wait: false)
        } catch {
            logger.warning("committing offsets to Kafka failed (the state file has them; only lag reporting is affected): \(error)")
        }
    }

    // MARK: - Parts

    /// The next batch, or nil after an out-of-range partition was handled.
    private func poll(_ consumer: KafkaConsumer, session: StateSession?, book: OffsetBook) throws -> [ConsumedMessage]? {
        let size = options.stateDirectory ? options.batchSize : min(options.batchSize, options.pollSize)
        let result = Result { () throws(KafkaError) in try consumer.poll(maxMessages: size, timeoutMs: options.maxBatchLatencyMs) }
        switch result {
        case .success(let batch):
            return batch
        case .failure(let error) where error.kind == .offsetOutOfRange:
            try handleOutOfRange(error, consumer: consumer, session: session, book: book)
            return nil
        case .failure(let error):
            throw error
        }
    }

    /// The task (``TaskFiles``) a partition belongs to with `--state-dir`.
    func taskName(_ tp: TopicPartition) -> String { decoder.task(of: tp) }

    private func openSession(book: OffsetBook, deadLetters: DeadLetterPublisher?) throws -> StateSession {
        let settings = StateFileSettings(readmissionWindowDays: options.readmissionWindowDays, decoder: decoder, book: book,
                                         deadLetters: deadLetters, beforeCommit: commitHold.map { $0.beforeCommit })
        let upgrading = olderStateFiles()
        if !upgrading.isEmpty {
            logger.notice("upgrading \(upgrading.joined(separator: ", ")) to state schema version \(MartSchema.migrations.count) (once; it can take a while on a large file)")
        }
        let started = ContinuousClock.now
        let session: StateSession = options.stateDirectory
            ? try TaskDirectorySession(directory: options.statePath, workers: options.workers, settings)
            : try StateFileSession(path: options.statePath, settings)
        if !upgrading.isEmpty, !options.stateDirectory { logger.notice("upgraded \(options.statePath) in \(String(format: "%.1f", (ContinuousClock.now - started).seconds)) s") }
        book.reset(to: try session.storedOffsets())
        return session
    }

    /// The state files this run will upgrade to the current schema (a task directory's are
    /// upgraded as their tasks are opened).
    private func olderStateFiles() -> [String] {
        let paths = options.stateDirectory
            ? ((try? TaskFiles.names(in: options.statePath)) ?? []).map { TaskFiles.path(of: $0, in: options.statePath) }
            : [options.statePath]
        return paths.filter { path in
            guard let version = (try? StateStore.schemaVersion(at: path)) ?? nil else { return false }
            return version > 0 && version < MartSchema.migrations.count
        }
    }

    private func makeDeadLetterPublisher() throws -> DeadLetterPublisher {
        guard let topic = catalog.deadLetterTopic?.name else {
            throw PipelineError.noDeadLetterTopic
        }
        return try DeadLetterPublisher(kafka: kafka, topic: topic, consumerGroup: options.groupID, logger: logger)
    }

    private func makeConsumer(book: OffsetBook) throws -> KafkaConsumer {
        var configuration = ConsumerConfiguration(kafka: kafka, groupID: options.groupID)
        configuration.groupInstanceID = options.instanceID
        // Never jump silently: an offset the log no longer has is reported (handleOutOfRange).
        configuration.autoOffsetReset = "error"
        let logger = self.logger
        return try KafkaConsumer(configuration: configuration, logger: logger, hooks: RebalanceHooks(
            onAssign: { partitions in
                let start = book.startOffsets(for: partitions)
                let resumed = start.values.filter { $0 != KafkaOffset.beginning }.count
                logger.info("assigned \(partitions.count) partitions; \(resumed) resume from the state file's offsets, the rest from the beginning")
                return start
            },
            onRevoke: { partitions, lost in
                // Runs inside poll, so every batch read before it is already committed.
                logger.info("\(lost ? "lost" : "revoked") \(partitions.count) partitions")
            }))
    }

    /// Storage faults that may clear, and dead letters the broker did not acknowledge.
    static func isRetryable(_ error: Error) -> Bool {
        if let error = error as? StateError { return error.isTransient }
        return error is KafkaError
    }
}
