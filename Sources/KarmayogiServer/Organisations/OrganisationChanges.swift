import Fluent
import Vapor

/// A change to an organisation (its name, place or path) changes what its people's sign-ins carry: every node forgets
/// the signed-in people it kept (`PrincipalCache`). Organisations change seldom; people sign in often.
struct OrganisationChangeMiddleware: ModelMiddleware {
    let cache: PrincipalCache

    func update(model: Organisation, on db: any Database, next: any AnyModelResponder) -> EventLoopFuture<Void> {
        let cache = cache
        return next.update(model, on: db).flatMap { db.eventLoop.makeFutureWithTask { try await db.peopleChanged(.everyone, cache: cache) } }
    }

    func delete(model: Organisation, force: Bool, on db: any Database, next: any AnyModelResponder) -> EventLoopFuture<Void> {
        let cache = cache
        return next.delete(model, force: force, on: db).flatMap { db.eventLoop.makeFutureWithTask { try await db.peopleChanged(.everyone, cache: cache) } }
    }
}
