"""The demo: a brand, its people, three communications in English and Japanese,
customers and a batch in flight, so that a newcomer sees the whole platform at work
(``demo.loading.demo_load``, run by ``manage.py load_demo``)."""
