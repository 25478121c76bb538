"""The template sandbox: Jinja2's immutable sandbox plus a budget per render.

Jinja2's ``ImmutableSandboxedEnvironment`` already refuses private attributes
(``__class__``, ``__globals__``, ...), methods that mutate lists, dicts and sets, and
the ``str.format`` / ``format_map`` escapes. On top of it:

- **Database objects stay out of reach.** On a model instance (the brand) a template may
  read its own plain fields only: no relation, manager, query set or method, so
  ``brand.communications.all()`` or ``....author.password`` fail, and nothing is saved.
- **A budget per render** (``render_budget``, ``render_within_budget``; the limits are
  settings, see ``RenderLimits``). Every operation that can make a value much bigger than
  its operands is *estimated before it runs* and refused when the result would be over a
  limit: ``*``, ``**``, ``+`` and ``%`` (``intercepted_binops``), string methods and
  filters that pad or repeat (``center``, ``ljust``, ``rjust``, ``zfill``, ``indent``,
  ``wordwrap``, ``expandtabs``, ``replace``, ``translate``, ``join``, ``batch``,
  ``slice``, ``sum``, ``lipsum``, ``int.to_bytes``), widths and precisions in ``%``
  formats, ``|format`` and ``str.format``, ``~`` concatenation, and the conversion of a
  list or dict to text (``{{ value }}``, ``|string``, ``|tojson`` ...: its size is
  measured first, so a list of lists sharing one big string cannot explode). Integers
  are bounded in digits, strings and collections in length, the output of each field
  (and each macro, ``{% set %}`` or ``{% filter %}`` block) in characters. Time: every
  iteration of every ``{% for %}`` loop and every macro call is counted, and the
  thread's CPU time is checked in these hooks against a deadline. A template over the
  budget stops with ``RenderBudgetExceeded`` (a ``SecurityError``) naming the limit;
  the renderer reports it as a ``RenderBudgetError``.
- **A CPU budget per operation** (``operation_budget``): a preview, lint, submission or
  test send renders every channel and language within one ``CCM_RENDER_MAX_CPU_SECONDS``
  in all (each render gets at most what is left); the web opens one per request.

Why hooks in the process rather than a subprocess with ``RLIMIT_CPU``/``RLIMIT_AS``:
a render is called hundreds of times per chunk and on every keystroke of the preview;
a process per render would cost more than the render, and a limit on the address space
of the web or worker process would be a limit on everything else it does. Because no
single operation is allowed to start on a result over the limits, no single step runs
long, and the hooks between steps are enough to enforce the deadline.

The modules: ``budget`` (the limits, the budgets of a render and of an operation,
``render_within_budget``), ``sizes`` (values measured, operators and formats estimated),
``estimates`` (methods and filters that grow their input) and ``environment``
(``BudgetedSandbox``, the environment the renderer uses).
"""
