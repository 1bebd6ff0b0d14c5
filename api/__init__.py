"""The REST API (v1): the top floor. It calls the same domain functions and ``rules``
predicates as the pages and is imported by nothing."""
