import Foundation
import Logging

/// Whether the consumer is doing its job (brokers reachable, partitions assigned, state file
/// writable), logged on every change and, with a ready file, shown by the file's presence for
/// orchestrators' probes (`test -f FILE`).
final class Readiness {
    private let file: String?
    private let logger: Logger
    private(set) var isReady = false
    /// Why not ready (the last cause given), or the cause of the last not-ready spell.
    private(set) var reason = "starting"

    init(file: String?, logger: Logger) {
        self.file = file
        self.logger = logger
        if let file { try? FileManager.default.removeItem(atPath: file) }
    }

    /// Ready when `notReadyBecause` is nil.
    func update(notReadyBecause cause: String?) {
        if let cause {
            guard isReady || cause != reason else { return }
            isReady = false
            reason = cause
            logger.warning("not ready: \(cause)")
            if let file { try? FileManager.default.removeItem(atPath: file) }
        } else if !isReady {
            isReady = true
            logger.info("ready (was: \(reason))")
            // A script waiting for the file would wait forever: say why it never comes.
            if let file, !FileManager.default.createFile(atPath: file, contents: Data("ready\n".utf8)) {
                logger.error("ready, but cannot write the ready file \(file) (--ready-file)")
            }
        }
    }
}
