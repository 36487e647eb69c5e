package dev.conveyor.common.http;

/**
 * Answers one request on a route. Throwing gives the client a 500 and the operator one ERROR line
 * with the stack trace, so expected failures should return a response (400, 404, 409...) instead.
 */
@FunctionalInterface
public interface Handler {
  HttpResponse handle(HttpRequest request) throws Exception;
}
