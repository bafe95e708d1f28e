package io.shopevents;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
public class ShopEventsApplication {

    public static void main(String[] args) {
        SpringApplication.run(ShopEventsApplication.class, args);
    }
}
