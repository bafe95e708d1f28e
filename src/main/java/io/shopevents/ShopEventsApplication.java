package io.shopevents;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.scheduling.annotation.EnableScheduling;

@SpringBootApplication
@EnableScheduling
public class ShopEventsApplication {

    public static void main(String[] args) {
        SpringApplication.run(ShopEventsApplication.class, args);
    }
}
