package io.shopevents.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.servlet.resource.NoResourceFoundException;

import java.io.IOException;
import java.util.stream.Collectors;

/**
 * What Spring MVC refuses before a route runs (a Content-Type the endpoint does not take, a
 * method it does not have, a path no endpoint has, an Accept it cannot meet), answered in this
 * API's own words and problem+json, like every other error. Written straight to the response:
 * a caller that accepts no JSON gets the problem all the same.
 */
@RestControllerAdvice
@Order(Ordered.HIGHEST_PRECEDENCE)
public class SpringMvcProblems {

    private final ObjectMapper mapper;

    public SpringMvcProblems(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    @ExceptionHandler(HttpMediaTypeNotSupportedException.class)
    public void unsupported(HttpMediaTypeNotSupportedException e, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        String takes = e.getSupportedMediaTypes().stream().map(MediaType::toString).collect(Collectors.joining(", "));
        String sent = e.getContentType() == null ? "a body without Content-Type" : e.getContentType().toString();
        String hint = e.getContentType() != null && "cloudevents+json".equals(e.getContentType().getSubtype())
                ? "; a CloudEvent as it is goes to POST /api/events" : "";
        write(response, HttpStatus.UNSUPPORTED_MEDIA_TYPE, call(request) + " takes " + takes + ", not " + sent + hint);
    }

    @ExceptionHandler(HttpRequestMethodNotSupportedException.class)
    public void method(HttpRequestMethodNotSupportedException e, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        String allowed = e.getSupportedHttpMethods() == null ? "" : e.getSupportedHttpMethods().stream()
                .map(Object::toString).sorted().collect(Collectors.joining(", "));
        response.setHeader("Allow", allowed);
        write(response, HttpStatus.METHOD_NOT_ALLOWED, request.getRequestURI() + " has no " + request.getMethod()
                + (allowed.isEmpty() ? "" : "; it takes " + allowed));
    }

    @ExceptionHandler(HttpMediaTypeNotAcceptableException.class)
    public void notAcceptable(HttpServletRequest request, HttpServletResponse response) throws IOException {
        write(response, HttpStatus.NOT_ACCEPTABLE, call(request) + " answers application/json (and errors as"
                + " application/problem+json), not " + request.getHeader("Accept"));
    }

    @ExceptionHandler(NoResourceFoundException.class)
    public void notFound(HttpServletRequest request, HttpServletResponse response) throws IOException {
        write(response, HttpStatus.NOT_FOUND, "no endpoint " + call(request) + "; the API is described at /api/openapi.json");
    }

    private static String call(HttpServletRequest request) {
        return request.getMethod() + " " + request.getRequestURI();
    }

    private void write(HttpServletResponse response, HttpStatus status, String detail) throws IOException {
        response.setStatus(status.value());
        response.setContentType(Problem.MEDIA_TYPE);
        mapper.writeValue(response.getOutputStream(), Problem.of(status.value(), status.getReasonPhrase(), detail));
    }
}
