from django.contrib import admin

from customers.models import Customer


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["external_id", "name", "locale", "email", "phone"]
    search_fields = ["external_id", "name", "email", "phone"]
